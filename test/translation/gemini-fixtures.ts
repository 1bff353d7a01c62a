/** Conversion fixtures both ways: an OpenAI batch line and the Gemini line it must become, and back. */
export const requestFixtures: { name: string; body: Record<string, unknown>; request: Record<string, unknown> }[] = [
  {
    name: 'plain text',
    body: { model: 'g', messages: [{ role: 'user', content: 'Hello' }] },
    request: { contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] },
  },
  {
    name: 'system prompt (and developer) → systemInstruction',
    body: {
      model: 'g',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'No emoji.' }] },
        { role: 'user', content: 'Hi' },
      ],
    },
    request: {
      systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'No emoji.' }] },
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
    },
  },
  {
    name: 'multi-turn, multi-part text',
    body: {
      model: 'g',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'A' },
            { type: 'text', text: 'B' },
          ],
        },
        { role: 'assistant', content: 'C' },
        { role: 'user', content: 'D' },
      ],
    },
    request: {
      contents: [
        { role: 'user', parts: [{ text: 'A' }, { text: 'B' }] },
        { role: 'model', parts: [{ text: 'C' }] },
        { role: 'user', parts: [{ text: 'D' }] },
      ],
    },
  },
  {
    name: 'images by URL and by data URI',
    body: {
      model: 'g',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.PNG?x=1' } },
            { type: 'image_url', image_url: { url: 'gs://bucket/dog' } },
            { type: 'image_url', image_url: { url: 'data:image/webp;base64,AAAA' } },
          ],
        },
      ],
    },
    request: {
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'What is this?' },
            { fileData: { mimeType: 'image/png', fileUri: 'https://example.com/cat.PNG?x=1' } },
            { fileData: { mimeType: 'image/jpeg', fileUri: 'gs://bucket/dog' } },
            { inlineData: { mimeType: 'image/webp', data: 'AAAA' } },
          ],
        },
      ],
    },
  },
  {
    name: 'generation parameters',
    body: {
      model: 'g',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
      stop: 'END',
      n: 2,
      seed: 7,
      presence_penalty: 0.1,
      frequency_penalty: 0.3,
      user: 'u-1',
      stream: false,
    },
    request: {
      contents: [{ role: 'user', parts: [{ text: 'x' }] }],
      generationConfig: {
        maxOutputTokens: 50,
        temperature: 0.2,
        topP: 0.9,
        candidateCount: 2,
        seed: 7,
        presencePenalty: 0.1,
        frequencyPenalty: 0.3,
        stopSequences: ['END'],
      },
    },
  },
  {
    name: 'max_completion_tokens wins over max_tokens; stop as a list',
    body: { model: 'g', messages: [{ role: 'user', content: 'x' }], max_tokens: 10, max_completion_tokens: 20, stop: ['a', 'b'] },
    request: { contents: [{ role: 'user', parts: [{ text: 'x' }] }], generationConfig: { maxOutputTokens: 20, stopSequences: ['a', 'b'] } },
  },
  {
    name: 'JSON mode',
    body: { model: 'g', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } },
    request: { contents: [{ role: 'user', parts: [{ text: 'x' }] }], generationConfig: { responseMimeType: 'application/json' } },
  },
  {
    name: 'JSON schema',
    body: {
      model: 'g',
      messages: [{ role: 'user', content: 'x' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'r',
          strict: true,
          schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false },
        },
      },
    },
    request: {
      contents: [{ role: 'user', parts: [{ text: 'x' }] }],
      generationConfig: {
        responseMimeType: 'application/json',
        responseJsonSchema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false },
      },
    },
  },
  {
    name: 'tools, a named tool_choice, a tool call and its result',
    body: {
      model: 'g',
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'rain' }] },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'weather',
            description: 'Weather now',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      parallel_tool_calls: true,
    },
    request: {
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris and Rome?' }] },
        {
          role: 'model',
          parts: [
            { functionCall: { name: 'weather', args: { city: 'Paris' } } },
            { functionCall: { name: 'weather', args: { city: 'Rome' } } },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'weather', response: { content: 'sunny' } } },
            { functionResponse: { name: 'weather', response: { content: 'rain' } } },
          ],
        },
      ],
      tools: [
        {
          functionDeclarations: [
            {
              name: 'weather',
              description: 'Weather now',
              parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } } },
            },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] } },
    },
  },
  {
    name: 'tool_choice strings',
    body: {
      model: 'g',
      messages: [{ role: 'user', content: 'x' }],
      tool_choice: 'required',
      tools: [{ type: 'function', function: { name: 'f' } }],
    },
    request: {
      contents: [{ role: 'user', parts: [{ text: 'x' }] }],
      tools: [{ functionDeclarations: [{ name: 'f' }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
    },
  },
];

/** Each refused line: the body (or url) and the exact parameter and message of the 400. */
export const rejectedFixtures: { name: string; url?: string; body: Record<string, unknown>; param: string; message: string }[] = [
  {
    name: 'embeddings endpoint',
    url: '/v1/embeddings',
    body: { model: 'g', input: 'x' },
    param: 'url',
    message: 'url /v1/embeddings is not supported by Vertex AI Gemini deployments; only /v1/chat/completions is',
  },
  {
    name: 'logprobs',
    body: { model: 'g', messages: [{ role: 'user', content: 'x' }], logprobs: true },
    param: 'body.logprobs',
    message: 'body.logprobs has no Gemini equivalent (not supported by Vertex AI Gemini deployments)',
  },
  {
    name: 'logit_bias',
    body: { model: 'g', messages: [{ role: 'user', content: 'x' }], logit_bias: { '1': 2 } },
    param: 'body.logit_bias',
    message: 'body.logit_bias has no Gemini equivalent (not supported by Vertex AI Gemini deployments)',
  },
  {
    name: 'audio output',
    body: { model: 'g', messages: [{ role: 'user', content: 'x' }], modalities: ['audio'] },
    param: 'body.modalities',
    message: 'body.modalities has no Gemini equivalent (not supported by Vertex AI Gemini deployments)',
  },
  {
    name: 'streaming',
    body: { model: 'g', messages: [{ role: 'user', content: 'x' }], stream: true },
    param: 'body.stream',
    message: 'body.stream must be false in a batch (not supported by Vertex AI Gemini deployments)',
  },
  {
    name: 'parallel_tool_calls false',
    body: { model: 'g', messages: [{ role: 'user', content: 'x' }], parallel_tool_calls: false },
    param: 'body.parallel_tool_calls',
    message:
      'body.parallel_tool_calls cannot be false: Gemini may always call tools in parallel (not supported by Vertex AI Gemini deployments)',
  },
  {
    name: 'audio input part',
    body: { model: 'g', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AA', format: 'wav' } }] }] },
    param: 'body.messages[0].content[0].type',
    message: "body.messages[0].content[0].type 'input_audio' here (not supported by Vertex AI Gemini deployments)",
  },
  {
    name: 'non-function tool',
    body: { model: 'g', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'custom', custom: { name: 'c' } }] },
    param: 'body.tools[0].type',
    message: "body.tools[0].type 'custom' (not supported by Vertex AI Gemini deployments)",
  },
  {
    name: 'system prompt in the middle',
    body: {
      model: 'g',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'system', content: 'late' },
      ],
    },
    param: 'body.messages[1].role',
    message: "body.messages[1].role 'system' after the first user or assistant message (not supported by Vertex AI Gemini deployments)",
  },
  {
    name: 'tool result without its call',
    body: {
      model: 'g',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'tool', tool_call_id: 'nope', content: 'r' },
      ],
    },
    param: 'body.messages[1].tool_call_id',
    message: 'body.messages[1].tool_call_id does not match a tool call of an earlier assistant message',
  },
  {
    name: 'response_format text is fine, but an unknown type is not',
    body: { model: 'g', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'grammar' } },
    param: 'body.response_format.type',
    message: "body.response_format.type 'grammar' (not supported by Vertex AI Gemini deployments)",
  },
  {
    name: 'image by a relative URL',
    body: { model: 'g', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: '/cat.png' } }] }] },
    param: 'body.messages[0].content[0].image_url.url',
    message: 'body.messages[0].content[0].image_url.url must be a base64 data URI or an http(s):// or gs:// URL',
  },
];

const usage = { promptTokenCount: 12, candidatesTokenCount: 5, totalTokenCount: 17 };

/** Vertex output lines (request echoed with its labels) → the OpenAI line they become. */
export const responseFixtures: {
  name: string;
  gemini: Record<string, unknown>;
  kind: 'output' | 'error';
  expect: Record<string, unknown>;
}[] = [
  {
    name: 'text, STOP, usage with cached and thinking tokens',
    gemini: {
      request: { contents: [], labels: { sluice_custom_id: 'req-1' } },
      response: {
        candidates: [
          {
            content: { role: 'model', parts: [{ text: 'thinking…', thought: true }, { text: 'Hel' }, { text: 'lo' }] },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: {
          promptTokenCount: 100,
          candidatesTokenCount: 10,
          thoughtsTokenCount: 4,
          cachedContentTokenCount: 60,
          totalTokenCount: 114,
        },
        modelVersion: 'gemini-2.5-flash-001',
        responseId: 'r1',
        createTime: '2026-01-02T03:04:05Z',
      },
      status: '',
    },
    kind: 'output',
    expect: {
      custom_id: 'req-1',
      error: null,
      response: {
        status_code: 200,
        request_id: 'r1',
        body: {
          id: 'chatcmpl-r1',
          object: 'chat.completion',
          created: 1767323045,
          model: 'gemini-2.5-flash-001',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Hello', refusal: null }, finish_reason: 'stop', logprobs: null }],
          usage: {
            prompt_tokens: 100,
            completion_tokens: 14,
            total_tokens: 114,
            prompt_tokens_details: { cached_tokens: 60 },
            completion_tokens_details: { reasoning_tokens: 4 },
          },
        },
      },
    },
  },
  {
    name: 'tool calls → finish_reason tool_calls',
    gemini: {
      request: { labels: { sluice_custom_id: 'req-2' } },
      response: {
        candidates: [{ content: { parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } } }] }, finishReason: 'STOP' }],
        usageMetadata: usage,
        responseId: 'r2',
      },
    },
    kind: 'output',
    expect: {
      custom_id: 'req-2',
      response: {
        body: {
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: null,
                refusal: null,
                tool_calls: [{ id: 'call_r2_0_0', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
              },
              finish_reason: 'tool_calls',
              logprobs: null,
            },
          ],
        },
      },
    },
  },
  {
    name: 'MAX_TOKENS → length',
    gemini: {
      request: { labels: { sluice_custom_id: 'req-3' } },
      response: { candidates: [{ content: { parts: [{ text: 'cut' }] }, finishReason: 'MAX_TOKENS' }], usageMetadata: usage },
    },
    kind: 'output',
    expect: { response: { body: { choices: [{ finish_reason: 'length', message: { content: 'cut' } }] } } },
  },
  {
    name: 'safety-blocked candidate → content_filter',
    gemini: {
      request: { labels: { sluice_custom_id: 'req-4' } },
      response: {
        candidates: [{ finishReason: 'SAFETY', safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', blocked: true }] }],
        usageMetadata: usage,
      },
    },
    kind: 'output',
    expect: {
      response: {
        status_code: 200,
        body: {
          choices: [{ finish_reason: 'content_filter', message: { content: null } }],
          usage: { prompt_tokens: 12, completion_tokens: 5 },
        },
      },
    },
  },
  {
    name: 'blocked prompt (no candidates)',
    gemini: {
      request: { labels: { sluice_custom_id: 'req-5' } },
      response: { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 } },
    },
    kind: 'output',
    expect: {
      response: {
        body: {
          choices: [{ finish_reason: 'content_filter', message: { content: null, refusal: 'PROHIBITED_CONTENT' } }],
          usage: { prompt_tokens: 7, completion_tokens: 0, total_tokens: 7 },
        },
      },
    },
  },
  {
    name: 'a failed line → error file, with the status code Vertex gave',
    gemini: {
      request: { labels: { sluice_custom_id: 'req-6' } },
      status: '{"code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"}',
    },
    kind: 'error',
    expect: {
      custom_id: 'req-6',
      error: null,
      response: {
        status_code: 400,
        body: {
          error: {
            message: '{"code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"}',
            type: 'invalid_request_error',
            code: 'vertex_error',
          },
        },
      },
    },
  },
  {
    name: 'a failed line without a code → 500',
    gemini: { request: { labels: { sluice_custom_id: 'req-7' } }, status: 'Internal error encountered.' },
    kind: 'error',
    expect: { response: { status_code: 500, body: { error: { type: 'server_error' } } } },
  },
];
