/**
 * How many generated inputs the fuzz tests try: FUZZ_RUNS in total for the REST routes (default 10,000, what
 * `npm test` runs; `npm run fuzz` sets 100,000), split between the properties by the shares they are given.
 */
export const FUZZ_RUNS = Math.max(Number(process.env.FUZZ_RUNS ?? 10_000) || 10_000, 10);

export const runsFor = (share: number) => Math.max(Math.round(FUZZ_RUNS * share), 1);

/**
 * A fixed seed unless FUZZ_SEED is set, so a failure in CI is reproducible; `npm run fuzz` sets `random` and
 * prints the seed it drew (fast-check also prints it with any counterexample).
 */
const seedSetting = process.env.FUZZ_SEED;
export const FUZZ_SEED = seedSetting === 'random' ? Math.floor(Math.random() * 2 ** 31) : seedSetting ? Number(seedSetting) : 20_261_202;
if (seedSetting === 'random') console.info(`fuzz seed: ${FUZZ_SEED}`);

/** A test's time limit, growing with the runs asked for (about 20 ms each on two busy cores, with margin). */
export const fuzzTimeout = (share: number) => Math.max(120_000, runsFor(share) * 20);
