import { UntranslatableLine, type OpenAIBatchLine } from '../types.js';
import { customIdLabels, MAX_ENCODED_CUSTOM_ID_BYTES } from './custom-id-labels.js';

/** Gemini's GenerateContentRequest, the parts we write (Vertex AI v1 REST reference). */
type Part = Record<string, unknown>;
interface Content {
  role: 'user' | 'model';
  parts: Part[];
}

/**
 * Body fields carried over, each to its Gemini counterpart (see `generationConfig` below). `model` is the
 * batch job's, `user` only identifies the end user to OpenAI and `stream: false` and `parallel_tool_calls:
 * true` are what a batch does anyway, so those four are accepted and dropped. Everything else is refused.
 */
const DROPPED = new Set(['model', 'user']);
const MAPPED = new Set([
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'n',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'response_format',
  'tools',
  'tool_choice',
  'stream',
  'parallel_tool_calls',
]);

const unsupported = (param: string, why: string) =>
  new UntranslatableLine(param, `${param} ${why} (not supported by Vertex AI Gemini deployments)`);

/** An OpenAI chat-completions line → a Vertex batch line `{"request": GenerateContentRequest}`. */
export function toGeminiRequest(line: OpenAIBatchLine): { request: Record<string, unknown> } {
  if (line.url !== '/v1/chat/completions') {
    throw new UntranslatableLine('url', `url ${line.url} is not supported by Vertex AI Gemini deployments; only /v1/chat/completions is`);
  }
  const body = line.body;
  for (const [key, value] of Object.entries(body)) {
    if (value === null || DROPPED.has(key) || MAPPED.has(key)) continue;
    throw unsupported(`body.${key}`, 'has no Gemini equivalent');
  }
  if (body.stream === true) throw unsupported('body.stream', 'must be false in a batch');
  if (body.parallel_tool_calls === false)
    throw unsupported('body.parallel_tool_calls', 'cannot be false: Gemini may always call tools in parallel');
  const labels = customIdLabels(line.custom_id);
  if (!labels) {
    throw new UntranslatableLine(
      'custom_id',
      `custom_id is longer than ${MAX_ENCODED_CUSTOM_ID_BYTES} bytes, the most a Vertex AI batch line can carry`,
    );
  }
  const { contents, systemInstruction } = toContents(body.messages);
  const request: Record<string, unknown> = { contents };
  if (systemInstruction) request.systemInstruction = systemInstruction;
  const generationConfig = toGenerationConfig(body);
  if (Object.keys(generationConfig).length) request.generationConfig = generationConfig;
  if (body.tools != null) request.tools = toTools(body.tools);
  if (body.tool_choice != null) request.toolConfig = toToolConfig(body.tool_choice);
  request.labels = labels;
  return { request };
}

function toContents(messages: unknown): { contents: Content[]; systemInstruction?: { parts: Part[] } } {
  if (!Array.isArray(messages) || messages.length === 0)
    throw new UntranslatableLine('body.messages', 'body.messages must be a non-empty array');
  const system: Part[] = [];
  const contents: Content[] = [];
  // tool messages name only the call's ID; Gemini's functionResponse wants the function's name.
  const toolNames = new Map<string, string>();
  messages.forEach((m, i) => {
    const at = `body.messages[${i}]`;
    if (!m || typeof m !== 'object') throw new UntranslatableLine(at, `${at} must be an object`);
    const msg = m as Record<string, unknown>;
    switch (msg.role) {
      case 'system':
      case 'developer':
        if (contents.length > 0) throw unsupported(`${at}.role`, `'${msg.role}' after the first user or assistant message`);
        system.push(...toParts(msg.content, `${at}.content`, false));
        return;
      case 'user':
        push(contents, 'user', toParts(msg.content, `${at}.content`, true));
        return;
      case 'assistant': {
        const parts = msg.content == null ? [] : toParts(msg.content, `${at}.content`, false);
        if (msg.tool_calls != null) parts.push(...toFunctionCalls(msg.tool_calls, `${at}.tool_calls`, toolNames));
        if (msg.audio != null) throw unsupported(`${at}.audio`, 'is an audio reply');
        if (parts.length === 0) throw new UntranslatableLine(`${at}.content`, `${at} has neither content nor tool_calls`);
        push(contents, 'model', parts);
        return;
      }
      case 'tool': {
        const id = msg.tool_call_id;
        const name = typeof id === 'string' ? toolNames.get(id) : undefined;
        if (!name)
          throw new UntranslatableLine(
            `${at}.tool_call_id`,
            `${at}.tool_call_id does not match a tool call of an earlier assistant message`,
          );
        const text = textOf(msg.content, `${at}.content`);
        push(contents, 'user', [{ functionResponse: { name, response: { content: text } } }]);
        return;
      }
      case 'function':
        throw unsupported(`${at}.role`, `'function' (deprecated; use tools)`);
      default:
        throw new UntranslatableLine(`${at}.role`, `${at}.role must be system, developer, user, assistant or tool`);
    }
  });
  if (contents.length === 0)
    throw new UntranslatableLine('body.messages', 'body.messages has no user message (Gemini needs one besides the system prompt)');
  return { contents, ...(system.length ? { systemInstruction: { parts: system } } : {}) };
}

/** Gemini wants turns to alternate; consecutive messages of one role (several tool results) share a turn. */
function push(contents: Content[], role: Content['role'], parts: Part[]): void {
  const last = contents[contents.length - 1];
  if (last && last.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

function toParts(content: unknown, at: string, imagesAllowed: boolean): Part[] {
  if (typeof content === 'string') return [{ text: content }];
  if (!Array.isArray(content)) throw new UntranslatableLine(at, `${at} must be a string or an array of content parts`);
  return content.map((p, j) => {
    const part = (p ?? {}) as Record<string, unknown>;
    const pat = `${at}[${j}]`;
    if (part.type === 'text' && typeof part.text === 'string') return { text: part.text };
    if (part.type === 'image_url' && imagesAllowed) return toImagePart(part.image_url, `${pat}.image_url`);
    throw unsupported(`${pat}.type`, `'${String(part.type)}' here`);
  });
}

function textOf(content: unknown, at: string): string {
  if (typeof content === 'string') return content;
  return toParts(content, at, false)
    .map((p) => p.text as string)
    .join('');
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
};

/**
 * A data URI becomes inline bytes; an https:// or gs:// URL a fileData reference Vertex fetches itself, whose
 * MIME type Gemini requires: from the extension, else image/jpeg (what most extension-less image URLs serve).
 */
function toImagePart(imageUrl: unknown, at: string): Part {
  const url = typeof imageUrl === 'string' ? imageUrl : (imageUrl as { url?: unknown } | null)?.url;
  if (typeof url !== 'string') throw new UntranslatableLine(`${at}.url`, `${at}.url must be a string`);
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data) return { inlineData: { mimeType: data[1], data: data[2] } };
  if (/^(https?|gs):\/\//.test(url)) {
    const ext = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
    return { fileData: { mimeType: (ext && MIME_BY_EXTENSION[ext]) ?? 'image/jpeg', fileUri: url } };
  }
  throw new UntranslatableLine(`${at}.url`, `${at}.url must be a base64 data URI or an http(s):// or gs:// URL`);
}

function toFunctionCalls(toolCalls: unknown, at: string, names: Map<string, string>): Part[] {
  if (!Array.isArray(toolCalls)) throw new UntranslatableLine(at, `${at} must be an array`);
  return toolCalls.map((c, j) => {
    const call = (c ?? {}) as { id?: unknown; type?: unknown; function?: { name?: unknown; arguments?: unknown } };
    if (call.type !== 'function' || typeof call.function?.name !== 'string')
      throw unsupported(`${at}[${j}].type`, `'${String(call.type)}'`);
    let args: unknown = {};
    try {
      args = call.function.arguments ? JSON.parse(String(call.function.arguments)) : {};
    } catch {
      throw new UntranslatableLine(`${at}[${j}].function.arguments`, `${at}[${j}].function.arguments is not valid JSON`);
    }
    if (typeof call.id === 'string') names.set(call.id, call.function.name);
    return { functionCall: { name: call.function.name, args } };
  });
}

function toGenerationConfig(body: Record<string, unknown>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const number = (key: string, target: string) => {
    const v = body[key];
    if (v == null) return;
    if (typeof v !== 'number') throw new UntranslatableLine(`body.${key}`, `body.${key} must be a number`);
    config[target] = v;
  };
  number('max_completion_tokens', 'maxOutputTokens');
  if (config.maxOutputTokens === undefined) number('max_tokens', 'maxOutputTokens');
  number('temperature', 'temperature');
  number('top_p', 'topP');
  number('n', 'candidateCount');
  number('seed', 'seed');
  number('presence_penalty', 'presencePenalty');
  number('frequency_penalty', 'frequencyPenalty');
  const stop = body.stop;
  if (typeof stop === 'string') config.stopSequences = [stop];
  else if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) config.stopSequences = stop;
  else if (stop != null) throw new UntranslatableLine('body.stop', 'body.stop must be a string or an array of strings');
  const format = body.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | null | undefined;
  if (format != null) {
    if (format.type === 'json_object') config.responseMimeType = 'application/json';
    else if (format.type === 'json_schema') {
      if (!format.json_schema || typeof format.json_schema.schema !== 'object') {
        throw new UntranslatableLine(
          'body.response_format.json_schema.schema',
          'body.response_format.json_schema.schema must be a JSON Schema object',
        );
      }
      config.responseMimeType = 'application/json';
      config.responseJsonSchema = format.json_schema.schema;
    } else if (format.type !== 'text') throw unsupported('body.response_format.type', `'${String(format.type)}'`);
  }
  return config;
}

function toTools(tools: unknown): Record<string, unknown>[] {
  if (!Array.isArray(tools)) throw new UntranslatableLine('body.tools', 'body.tools must be an array');
  const declarations = tools.map((t, i) => {
    const tool = (t ?? {}) as { type?: unknown; function?: { name?: unknown; description?: unknown; parameters?: unknown } };
    if (tool.type !== 'function' || typeof tool.function?.name !== 'string')
      throw unsupported(`body.tools[${i}].type`, `'${String(tool.type)}'`);
    return {
      name: tool.function.name,
      ...(typeof tool.function.description === 'string' ? { description: tool.function.description } : {}),
      // Full JSON Schema, as OpenAI takes it; `parameters` would want Vertex's OpenAPI subset.
      ...(tool.function.parameters != null ? { parametersJsonSchema: tool.function.parameters } : {}),
    };
  });
  return [{ functionDeclarations: declarations }];
}

function toToolConfig(choice: unknown): Record<string, unknown> {
  const modes: Record<string, string> = { none: 'NONE', auto: 'AUTO', required: 'ANY' };
  if (typeof choice === 'string' && modes[choice]) return { functionCallingConfig: { mode: modes[choice] } };
  const named = choice as { type?: unknown; function?: { name?: unknown } };
  if (named && named.type === 'function' && typeof named.function?.name === 'string') {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [named.function.name] } };
  }
  throw unsupported('body.tool_choice', `${JSON.stringify(choice)}`);
}
