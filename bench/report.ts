/** What one bench run found: `BenchResults` is bench/results/latest.json exactly; `Details` feeds the table. */
export interface BenchResults {
  retrieve_rps: { sluice: number; portkey: number; direct: number; sluice_default: number };
  retrieve_added_ms: { p50: number; p99: number };
  upload: { ratio: number; rss_growth_mb: number };
  upload_50mb: { ratio: number; rss_growth_mb: number };
  grpc_upload: { ratio: number };
  portkey_upload: { ratio: number };
  list_ms: { p50: number; p99: number };
  machine: { cores: number; memory_gb: number; node: string };
  commit: string;
  date: string;
}

/** Figures behind the ratios, shown in the table but not kept in latest.json. */
export interface Details {
  retrieveMs: Record<'direct' | 'portkey' | 'sluice' | 'floor', { p50: number; p99: number }>;
  /** Upload seconds (medians) for the large and the small file. */
  uploadSeconds: Record<'large' | 'small', { direct: number; portkey: number; rest: number; grpc: number; floor: number }>;
  /**
   * bench/floor-proxy.ts (Fastify + undici, nothing of sluice): retrieve req/s at 10 connections. With its
   * latencies and upload times, it shows what this machine allows any Node gateway; it is not a goal.
   */
  floorRps: number;
  grpcRssGrowthMb: number;
  sizes: { largeMb: number; largeLines: number; smallMb: number; smallLines: number };
  listBatches: number;
  retrieveSeconds: number;
  /** Upstream batch retrieves per sluice retrieve (1 when sluice always asks the upstream). */
  upstreamCallsPerRetrieve: { sluice: number; sluice_default: number };
}

export const GOALS = {
  retrieveTimesPortkey: 5,
  addedP50Ms: 0.3,
  addedP99Ms: 3,
  uploadRatio: 1.5,
  rssGrowthMb: 64,
  grpcRatio: 1.1,
  listP99Ms: 10,
};

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 10 ? n.toFixed(1) : n.toFixed(2));
const s = (n: number) => n.toFixed(2);
const met = (ok: boolean) => (ok ? 'yes' : '**no**');
/** A latency with what it adds to direct's, as the sluice column shows its own. */
const added = (value: number, direct: number) => `${ms(value)} (+${ms(value - direct)})`;

/** The markdown table the README carries: figure, direct, Portkey, floor, sluice, goal, met? */
export function resultsTable(r: BenchResults, d: Details): string {
  const rows: string[][] = [
    ['figure', 'direct', 'Portkey', 'floor', 'sluice', 'goal', 'met?'],
    ['---', '---:', '---:', '---:', '---:', '---', '---'],
    [
      `batch retrieve, req/s at 10 connections (${d.retrieveSeconds} s; every sluice retrieve asks the upstream)`,
      int(r.retrieve_rps.direct),
      int(r.retrieve_rps.portkey),
      `${int(d.floorRps)} (${(d.floorRps / r.retrieve_rps.portkey).toFixed(2)} ×)`,
      `**${int(r.retrieve_rps.sluice)}**`,
      `≥ ${GOALS.retrieveTimesPortkey} × Portkey (${int(GOALS.retrieveTimesPortkey * r.retrieve_rps.portkey)}); now ${(r.retrieve_rps.sluice / r.retrieve_rps.portkey).toFixed(2)} ×`,
      met(r.retrieve_rps.sluice >= GOALS.retrieveTimesPortkey * r.retrieve_rps.portkey),
    ],
    [
      `the same, sluice with default settings (${d.upstreamCallsPerRetrieve.sluice_default.toFixed(2)} upstream calls per retrieve)`,
      '',
      '',
      '',
      int(r.retrieve_rps.sluice_default),
      '',
      '',
    ],
    [
      'batch retrieve p50 at 1 connection, ms (sluice: added to direct)',
      ms(d.retrieveMs.direct.p50),
      ms(d.retrieveMs.portkey.p50),
      added(d.retrieveMs.floor.p50, d.retrieveMs.direct.p50),
      `${ms(d.retrieveMs.sluice.p50)} (+${ms(r.retrieve_added_ms.p50)})`,
      `added ≤ ${GOALS.addedP50Ms}`,
      met(r.retrieve_added_ms.p50 <= GOALS.addedP50Ms),
    ],
    [
      'batch retrieve p99 at 1 connection, ms (sluice: added to direct)',
      ms(d.retrieveMs.direct.p99),
      ms(d.retrieveMs.portkey.p99),
      added(d.retrieveMs.floor.p99, d.retrieveMs.direct.p99),
      `${ms(d.retrieveMs.sluice.p99)} (+${ms(r.retrieve_added_ms.p99)})`,
      `added ≤ ${GOALS.addedP99Ms}`,
      met(r.retrieve_added_ms.p99 <= GOALS.addedP99Ms),
    ],
    ...uploadRows(`${d.sizes.largeMb} MB / ${int(d.sizes.largeLines)} lines`, d.uploadSeconds.large, r.upload),
    ...uploadRows(`${d.sizes.smallMb} MB / ${int(d.sizes.smallLines)} lines`, d.uploadSeconds.small, r.upload_50mb),
    [
      `the ${d.sizes.largeMb} MB upload over gRPC, s (peak RSS growth ${d.grpcRssGrowthMb.toFixed(1)} MB)`,
      '',
      '',
      '',
      `${s(d.uploadSeconds.large.grpc)} (${r.grpc_upload.ratio.toFixed(2)} × REST)`,
      `≤ ${GOALS.grpcRatio} × REST`,
      met(r.grpc_upload.ratio <= GOALS.grpcRatio),
    ],
    [
      `list batches (limit 20) of ${int(d.listBatches)} stored, p50 / p99 ms`,
      '',
      '',
      '',
      `${ms(r.list_ms.p50)} / ${ms(r.list_ms.p99)}`,
      `p99 ≤ ${GOALS.listP99Ms}`,
      met(r.list_ms.p99 <= GOALS.listP99Ms),
    ],
  ];
  const m = r.machine;
  return [
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Commit \`${r.commit}\`, ${r.date}, ${m.cores} cores, ${m.memory_gb} GB, Node ${m.node}; everything on loopback. Direct = the bench's upstream stand-in called without a gateway. ` +
      "Floor = Fastify + undici alone (bench/floor-proxy.ts: a retrieve forwarded and its JSON sent back; an upload's bytes sent on to both deployments unparsed), what this machine allows any Node gateway; not a goal.",
  ].join('\n');
}

function uploadRows(label: string, t: Details['uploadSeconds']['large'], u: BenchResults['upload']): string[][] {
  return [
    [
      `managed upload ${label} over REST, s (sluice: validate + 2 copies)`,
      s(t.direct),
      `${s(t.portkey)} (${(t.portkey / t.direct).toFixed(2)} ×)`,
      `${s(t.floor)} (${(t.floor / t.direct).toFixed(2)} ×)`,
      `**${s(t.rest)}** (${u.ratio.toFixed(2)} ×)`,
      `≤ ${GOALS.uploadRatio} × direct`,
      met(u.ratio <= GOALS.uploadRatio),
    ],
    [
      `peak RSS growth of sluice during it, MB`,
      '',
      '',
      '',
      u.rss_growth_mb.toFixed(1),
      `≤ ${GOALS.rssGrowthMb}, constant in file size`,
      met(u.rss_growth_mb <= GOALS.rssGrowthMb),
    ],
  ];
}
