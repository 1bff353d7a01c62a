import { LRUCache } from 'lru-cache';
import type { ManagedBatch } from '../../db/entities/index.js';

interface Entry {
  /** A plain copy, tied to no EntityManager; its state fields are this replica's last view, updated in place. */
  row: ManagedBatch;
  /** When this replica last had the batch's state from the provider (ms), for the freshness window. */
  checkedAt: number;
}

/**
 * The batches this replica has read. What routes a batch (its deployment, provider ID, owner) never changes
 * after create, so a retrieve needs no query to find it; its state fields are only this replica's last view
 * and decide nothing but whether a new state is worth writing (the writes themselves stay guarded in SQL).
 * Retrieves of one batch that arrive together share one provider call.
 */
export class BatchRouteCache {
  private readonly entries = new LRUCache<string, Entry>({ max: 10_000 });
  private readonly inFlight = new Map<string, Promise<unknown>>();

  get(id: string): ManagedBatch | undefined {
    return this.entries.get(id)?.row;
  }

  /**
   * Keeps a plain copy of the row, never the entity itself: an entity stays tied to the EntityManager that
   * loaded it, and through it to everything that request loaded.
   */
  remember(found: ManagedBatch, checkedAt = 0): ManagedBatch {
    const row = { ...found } as ManagedBatch;
    this.entries.set(row.id, { row, checkedAt });
    return row;
  }

  /**
   * `row` now holds what the provider just said (or what the database holds after it). The cached copy takes
   * it over when `row` is another object (the tracker's, a cancel's), so a freshness window never serves a
   * state older than one this replica has seen.
   */
  observed(row: ManagedBatch): void {
    const entry = this.entries.peek(row.id); // peek: the read that found the batch already made it recent
    if (!entry) return;
    if (entry.row !== row) {
      const { status, snapshot, terminal, outputFileId, errorFileId, costRecorded } = row;
      Object.assign(entry.row, { status, snapshot, terminal, outputFileId, errorFileId, costRecorded });
    }
    entry.checkedAt = Date.now();
  }

  /** True when this replica read the batch's state from its provider less than maxAgeMs ago. */
  freshWithin(id: string, maxAgeMs: number): boolean {
    const entry = this.entries.peek(id);
    return entry !== undefined && Date.now() - entry.checkedAt < maxAgeMs;
  }

  /** Runs `work` unless the same batch's work is already running, in which case its result is shared. */
  singleFlight<T>(id: string, work: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(id) as Promise<T> | undefined;
    if (running) return running;
    const started = work().finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, started);
    return started;
  }
}
