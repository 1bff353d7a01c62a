/**
 * The router's type as a client sees it: every procedure with its input and output, and no server context.
 *
 * The server's router type carries its context (`gw: Gateway`: the config, the ORM, the providers); a client
 * needs none of it, and a package that shipped it would ship the server's types with it. `clientView` rebuilds
 * the router type with `ctx: object` and the records spelled out, and `view`'s return type is left to inference
 * on purpose: tsc's declaration emit then writes it out in full (inputs and outputs as object types), which is
 * what the package's d.ts bundle (build.ts) carries instead of the server's source. Two levels of records
 * (`files.list`) are spelled out; a deeper router would bring the context back, and build.ts refuses a bundle
 * that imports anything but the client's own dependencies.
 */
import type { AnyTRPCProcedure, AnyTRPCRouter, TRPCBuiltRouter } from '@trpc/server';
import type { TrpcHttpRouter } from '../../src/transports/trpc/http-router.js';

type RootTypes<R extends AnyTRPCRouter> = R['_def']['_config']['$types'];

/**
 * Procedures for the in-process adapters (REST, gRPC) only: their input is a stream with a callback, or their
 * output a Node stream, neither of which crosses tRPC's HTTP wire (`files.uploadStream`, `files.uploadForm` and
 * `files.download` are tRPC's own).
 */
interface InProcessOnly {
  files: 'upload' | 'content';
  providerRoutes: 'uploadFile' | 'fileContent';
}
type Hidden<K> = K extends keyof InProcessOnly ? InProcessOnly[K] : never;

/** Type-only: it returns what it is given, typed as the client-side view. */
const clientView = <R extends AnyTRPCRouter, Rec extends R['_def']['record'] = R['_def']['record']>(router: R) =>
  router as unknown as TRPCBuiltRouter<
    { ctx: object; meta: RootTypes<R>['meta']; errorShape: RootTypes<R>['errorShape']; transformer: RootTypes<R>['transformer'] },
    { [K in keyof Rec]: Rec[K] extends AnyTRPCProcedure ? Rec[K] : { [P in Exclude<keyof Rec[K], Hidden<K>>]: Rec[K][P] } }
  >;

/** Never called: only its inferred return type matters (see above). */
const view = () => clientView(undefined as unknown as TrpcHttpRouter);

export type AppRouter = ReturnType<typeof view>;
