import type { Deployment } from '../../config/types.js';
import { translatorFor, UntranslatableLine, type LineTranslator } from '../../translation/index.js';
import { isBlankLine, splitLines } from '../jsonl/lines.js';
import type { SpooledBatchInput } from '../jsonl/spool.js';
import { lineError, type BatchLine } from '../jsonl/validate-line.js';

/**
 * Before any byte goes to any provider: every line must be one that each target deployment's wire format can
 * carry (a Vertex deployment takes Gemini lines, so `logprobs` or an embeddings line cannot go there). One
 * streamed pass over the spool per distinct translator; nothing to do when every target speaks OpenAI's format.
 * The 400 names the line as the client numbered it (blank lines the spool dropped still count) and the field.
 */
export async function assertTranslatable(spool: SpooledBatchInput, deployments: Deployment[]): Promise<void> {
  const translators = new Map<LineTranslator, Deployment>();
  for (const d of deployments) {
    const t = translatorFor(d.provider);
    if (t && !translators.has(t)) translators.set(t, d);
  }
  for (const [translator, deployment] of translators) {
    const skipped = spool.blankLines ?? [];
    let request = 0;
    let skippedBefore = 0;
    for await (const raw of splitLines(spool.read(deployment.model))) {
      if (isBlankLine(raw)) continue;
      request++;
      // Line number in the client's file: the request's ordinal plus the blank lines before it.
      while (skippedBefore < skipped.length && skipped[skippedBefore] <= request + skippedBefore) skippedBefore++;
      try {
        translator.toProviderLine(JSON.parse(raw.toString('utf8')) as BatchLine);
      } catch (err) {
        if (!(err instanceof UntranslatableLine)) throw err;
        throw lineError(
          request + skippedBefore,
          `${err.message}; model group '${deployment.modelGroup}' has such a deployment`,
          'unsupported_parameter',
        );
      }
    }
  }
}
