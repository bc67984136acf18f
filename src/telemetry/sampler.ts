// The trace sampler from the standard OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, with one
// change: a caller's `sampled` flag does not decide for the server. The SDK's parent-based samplers
// sample every request whose traceparent says so, which lets any client switch on full tracing (and
// its cost, about 10 µs and an export per span) under a 10% ratio. Here the server's own sampler
// decides for remote parents, by trace id, so the trace is still continued when it is sampled; a
// caller's "not sampled" is still honoured (it only saves work), and spans under our own spans follow
// their parent as before.
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';

function ratio(arg: string | undefined): number {
  const n = Number(arg ?? '1');
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : 1;
}

export function serverSampler(env: NodeJS.ProcessEnv = process.env): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim();
  const rootName = name.replace(/^parentbased_/, '');
  const root = rootName === 'always_off' ? new AlwaysOffSampler() : rootName === 'traceidratio' ? new TraceIdRatioBasedSampler(ratio(env.OTEL_TRACES_SAMPLER_ARG)) : new AlwaysOnSampler();
  if (rootName === name) return root;
  return new ParentBasedSampler({ root, remoteParentSampled: root, remoteParentNotSampled: new AlwaysOffSampler() });
}
