import { ProxyTracerProvider, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { UpstreamObserver } from '../providers/http/client.js';

/**
 * An OpenTelemetry CLIENT span around every upstream HTTP attempt. @opentelemetry/api is only the API: until
 * an SDK registers a tracer provider (e.g. `node --import @opentelemetry/auto-instrumentations-node/register`
 * with OTEL_TRACES_EXPORTER / OTEL_EXPORTER_OTLP_ENDPOINT set), the tracer is a no-op and this costs next to
 * nothing. sluice itself ships no exporter.
 */
export function tracingObserver(): UpstreamObserver {
  const tracer = trace.getTracer('sluice');
  // Until an SDK registers, the global provider is a proxy whose delegate is the API's one no-op provider: a span
  // is then skipped outright (making a no-op span still cost ~3 % of a batch retrieve's CPU under load).
  const provider = trace.getTracerProvider();
  const unregistered = provider instanceof ProxyTracerProvider ? provider.getDelegate() : undefined;
  const noSpan = () => undefined;
  return {
    start(call) {
      if (unregistered && (provider as ProxyTracerProvider).getDelegate() === unregistered) return noSpan;
      const span = tracer.startSpan(`${call.method} ${call.route}`, {
        kind: SpanKind.CLIENT,
        attributes: { 'http.request.method': call.method, 'url.template': call.route, 'sluice.deployment': call.deploymentId },
      });
      return (end) => {
        span.setAttribute('http.response.status_code', end.status);
        if (end.error) span.setStatus({ code: SpanStatusCode.ERROR, message: end.error });
        span.end();
      };
    },
  };
}

/** Several observers as one. */
export function allObservers(...observers: UpstreamObserver[]): UpstreamObserver {
  return {
    start(call) {
      const ends = observers.map((o) => o.start(call));
      return (end) => {
        for (const f of ends) f(end);
      };
    },
  };
}
