import { routers } from '../../api/router.js';
import { mergeRouters, router } from '../../api/trpc.js';
import { download, uploadForm, uploadStream } from './file-streams.js';

/**
 * What `/trpc` serves: the router, plus the procedures that only make sense on tRPC's HTTP wire (FormData and
 * byte-stream uploads, text-chunk downloads). REST and gRPC call the router itself (api/router.ts).
 */
export const trpcHttpRouter = router({
  ...routers,
  files: mergeRouters(routers.files, router({ uploadForm, uploadStream, download })),
});

export type TrpcHttpRouter = typeof trpcHttpRouter;
