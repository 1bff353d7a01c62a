import { trace, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { tracingObserver } from '../../src/observability/tracing.js';

describe('OpenTelemetry spans around upstream calls', () => {
  it('are no-ops until a tracer provider is registered, then CLIENT spans with the deployment and status', () => {
    const observer = tracingObserver();
    observer.start({ deploymentId: 'east', method: 'GET', route: '/batches/{id}' })({ status: 200 }); // no provider: nothing happens

    const spans: { name: string; attributes: Record<string, unknown>; status?: unknown; ended: boolean }[] = [];
    const tracer = {
      startSpan(name: string, options?: { attributes?: Record<string, unknown> }) {
        const span = { name, attributes: { ...options?.attributes }, status: undefined as unknown, ended: false };
        spans.push(span);
        return {
          setAttribute: (k: string, v: unknown) => ((span.attributes[k] = v), undefined),
          setStatus: (st: unknown) => ((span.status = st), undefined),
          end: () => ((span.ended = true), undefined),
        } as unknown as Span;
      },
    } as unknown as Tracer;
    const provider: TracerProvider = { getTracer: () => tracer };
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);

    observer.start({ deploymentId: 'east', method: 'GET', route: '/batches/{id}' })({ status: 200 });
    observer.start({ deploymentId: 'west', method: 'POST', route: '/files' })({ status: 0, error: 'upstream unreachable' });
    expect(spans).toHaveLength(2);
    expect(spans[0]).toMatchObject({
      name: 'GET /batches/{id}',
      ended: true,
      attributes: { 'sluice.deployment': 'east', 'http.response.status_code': 200 },
    });
    expect(spans[0].status).toBeUndefined();
    expect(spans[1]).toMatchObject({ name: 'POST /files', ended: true, status: { code: 2, message: 'upstream unreachable' } });
    trace.disable();
  });
});
