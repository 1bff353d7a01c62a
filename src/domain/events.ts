import type { Gateway } from './gateway.js';

/** Token counts summed over the billed (status 200) lines of a batch's output. */
export interface TokenCounts {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
}

/**
 * What happens to files and batches, as structured events. Each one is a JSON log line (pino, with `event` as
 * its name) and is handed to the gateway's listeners (metrics, the webhook). Field names are snake_case, as in
 * the logs and the webhook body.
 */
export type GatewayEvent =
  | {
      event: 'file_uploaded';
      file_id: string;
      bytes: number;
      lines: number | null;
      replicas: number;
      groups: string[];
      key_id: string | null;
      team_id: string | null;
    }
  | {
      event: 'batch_created';
      batch_id: string;
      model_group: string;
      deployment: string;
      input_file_id: string;
      key_id: string | null;
      team_id: string | null;
    }
  | { event: 'batch_status_changed'; batch_id: string; from: string; to: string; model_group: string; deployment: string }
  | ({
      event: 'batch_finished';
      batch_id: string;
      status: string;
      model_group: string;
      deployment: string;
      key_id: string | null;
      user_id: string | null;
      team_id: string | null;
      request_counts: { total: number; completed: number; failed: number };
      /** Output lines with status 200: the billed requests. */
      billed_requests: number;
      cost: number;
      /** Seconds from the batch's creation to its terminal timestamp (or to now when the provider gave none). */
      duration_seconds: number;
      output_file_id: string | null;
      error_file_id: string | null;
    } & TokenCounts)
  /** A durable side effect given up on after its configured age: logged at error level, counted in /metrics. */
  | { event: 'webhook_abandoned'; delivery_id: string; event_type: string; subject_id: string; attempts: number; error: string | null }
  | { event: 'replica_delete_abandoned'; deployment: string; reason: string; attempts: number; age_seconds: number; error: string | null };

export type GatewayEventName = GatewayEvent['event'];
export type EventListener = (event: GatewayEvent) => void;

const MESSAGES: Record<GatewayEventName, string> = {
  file_uploaded: 'file uploaded',
  batch_created: 'batch created',
  batch_status_changed: 'batch status changed',
  batch_finished: 'batch finished',
  webhook_abandoned: 'batch webhook given up: never delivered',
  replica_delete_abandoned: 'replica delete given up: a copy of a deleted file may remain at the provider',
};

/** Events that mean something was lost: an operator must look. */
const ERRORS = new Set<GatewayEventName>(['webhook_abandoned', 'replica_delete_abandoned']);

/** Logs the event and hands it to every listener; a failing listener is logged, never the caller's problem. */
export function emitEvent(gw: Gateway, event: GatewayEvent): void {
  if (ERRORS.has(event.event)) gw.log.error(event, MESSAGES[event.event]);
  else gw.log.info(event, MESSAGES[event.event]);
  for (const listener of gw.listeners ?? []) {
    try {
      listener(event);
    } catch (err) {
      gw.log.warn({ event: 'event_listener_failed', for: event.event, error: (err as Error).message }, 'event listener failed');
    }
  }
}
