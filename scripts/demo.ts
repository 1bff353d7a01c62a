/**
 * `npm run demo`: the newcomer's first command. Starts two emulated Azure OpenAI deployments of one model
 * group, starts sluice on an embedded SQLite file, and runs the developer flow with the official OpenAI SDK,
 * printing each step. Then the same flow on a mixed group: one Azure deployment and one Vertex AI (Gemini)
 * deployment (emulated token endpoint, Cloud Storage and batchPredictionJobs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { pino } from 'pino';
import { startGateway } from '../src/app.js';
import { buildConfig } from '../src/config/load.js';
import { startAzureEmulator, startVertexEmulator } from '../dev/emulators/index.js';

const step = (n: number, text: string) => console.log(`\n[${n}] ${text}`);
const timing = { validatingMs: 300, inProgressMs: 600, finalizingMs: 300, cancellingMs: 300 };

const east = await startAzureEmulator({ apiKey: 'demo-key-east', deployments: ['gpt-4o-batch-eastus'], timing });
const west = await startAzureEmulator({ apiKey: 'demo-key-west', deployments: ['gpt-4o-batch-swedencentral'], timing });
const vertex = await startVertexEmulator({ project: 'demo-project', timing: { pendingMs: 300, runningMs: 600, cancellingMs: 300 } });
const deployments = new Map([
  [east, 'eastus (azure/gpt-4o-batch-eastus)'],
  [west, 'swedencentral (azure/gpt-4o-batch-swedencentral)'],
]);
const config = buildConfig(
  {
    model_list: [
      {
        model_name: 'gpt-4o-batch',
        litellm_params: {
          model: 'azure/gpt-4o-batch-eastus',
          api_base: east.url,
          api_key: 'os.environ/DEMO_KEY_EAST',
          api_version: '2024-10-21',
        },
        model_info: { mode: 'batch', id: 'eastus', input_cost_per_token_batches: 0.00000125, output_cost_per_token_batches: 0.000005 },
      },
      {
        model_name: 'gpt-4o-batch',
        litellm_params: {
          model: 'azure/gpt-4o-batch-swedencentral',
          api_base: west.url,
          api_key: 'os.environ/DEMO_KEY_WEST',
          api_version: '2024-10-21',
        },
        model_info: {
          mode: 'batch',
          id: 'swedencentral',
          input_cost_per_token_batches: 0.00000125,
          output_cost_per_token_batches: 0.000005,
        },
      },
      // A mixed group: the east Azure deployment and Gemini on Vertex AI (files in GCS, LiteLLM's keys).
      {
        model_name: 'mixed-batch',
        litellm_params: {
          model: 'azure/gpt-4o-batch-eastus',
          api_base: east.url,
          api_key: 'os.environ/DEMO_KEY_EAST',
          api_version: '2024-10-21',
        },
        model_info: { mode: 'batch', id: 'mixed-azure' },
      },
      {
        model_name: 'mixed-batch',
        litellm_params: {
          model: 'vertex_ai/gemini-2.5-flash',
          vertex_project: 'demo-project',
          vertex_location: 'us-central1',
          vertex_credentials: 'os.environ/DEMO_VERTEX_CREDENTIALS',
          gcs_bucket_name: 'demo-batches',
          api_base: vertex.url,
          gcs_api_base: vertex.url,
        },
        model_info: { mode: 'batch', id: 'mixed-vertex' },
      },
    ],
    general_settings: { master_key: 'sk-demo-master' },
  },
  { DEMO_KEY_EAST: 'demo-key-east', DEMO_KEY_WEST: 'demo-key-west', DEMO_VERTEX_CREDENTIALS: JSON.stringify(vertex.serviceAccountKey) },
);

const dir = mkdtempSync(join(tmpdir(), 'sluice-demo-'));
const gateway = await startGateway({ config, databaseUrl: join(dir, 'demo.sqlite'), port: 0, logger: pino({ level: 'silent' }) });
step(0, `sluice is up at ${gateway.url} (SQLite ${join(dir, 'demo.sqlite')}); model group gpt-4o-batch = 2 Azure deployments`);

const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'sk-demo-master' });
try {
  const lines = ['What is a sluice?', 'Name three rivers.', 'Say hello in French.'].map((q, i) =>
    JSON.stringify({
      custom_id: `request-${i + 1}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-4o-batch', messages: [{ role: 'user', content: q }], max_tokens: 50 },
    }),
  );
  step(1, `upload mydata.jsonl (${lines.length} requests, body.model = "gpt-4o-batch") with target_model_names=gpt-4o-batch`);
  const file = await client.files.create({
    file: await toFile(Buffer.from(lines.join('\n') + '\n'), 'mydata.jsonl'),
    purpose: 'batch',
    target_model_names: 'gpt-4o-batch',
  } as never);
  console.log(`    unified file: ${file.id} (${file.bytes} bytes)`);

  step(2, 'replicas written, one per deployment, body.model rewritten to the deployment name:');
  for (const [emu, name] of deployments) {
    const copy = [...emu.files.values()].at(-1)!;
    const model = JSON.parse(copy.content.toString().split('\n')[0]).body.model;
    console.log(`    ${name}: provider file ${copy.id}, body.model = "${model}"`);
  }

  step(3, 'create a batch on the unified file');
  const before = new Map([...deployments.keys()].map((e) => [e, e.batches.size]));
  const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  const chosen = [...deployments.keys()].find((e) => e.batches.size > before.get(e)!)!;
  console.log(`    unified batch: ${batch.id}, status ${batch.status}`);
  console.log(`    created on deployment ${deployments.get(chosen)} (the caller never sees its raw ID)`);

  step(4, 'retrieve until it is done (every retrieve goes back to that deployment):');
  let current = batch;
  let last = '';
  while (!['completed', 'failed', 'expired', 'cancelled'].includes(current.status)) {
    current = await client.batches.retrieve(batch.id);
    if (current.status !== last) console.log(`    status: ${(last = current.status)}  requests ${JSON.stringify(current.request_counts)}`);
    await new Promise((r) => setTimeout(r, 150));
  }

  step(5, `output file ${current.output_file_id} (a unified ID too); its lines:`);
  const text = await (await client.files.content(current.output_file_id!)).text();
  for (const l of text.trim().split('\n')) {
    const o = JSON.parse(l);
    console.log(
      `    ${o.custom_id}: HTTP ${o.response.status_code}, "${o.response.body.choices[0].message.content}", usage ${JSON.stringify(o.response.body.usage)}`,
    );
  }

  step(6, 'its cost, recorded once from the output usage at batch prices (GET /spend/logs):');
  const logs = (await (
    await fetch(`${gateway.url}/spend/logs?batch_id=${batch.id}`, { headers: { authorization: 'Bearer sk-demo-master' } })
  ).json()) as Record<string, unknown>[];
  for (const l of logs) console.log(`    ${l.batch_id}: ${l.prompt_tokens} input + ${l.completion_tokens} output tokens → $${l.spend}`);

  step(7, 'list batches of the model group (target_model_names as a query filter):');
  const list = await client.batches.list({ target_model_names: 'gpt-4o-batch' } as never);
  for (const b of list.data) console.log(`    ${b.id} ${b.status} ${b.model}`);

  step(8, 'a second batch, cancelled:');
  const second = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  const cancelled = await client.batches.cancel(second.id);
  console.log(`    ${second.id} → ${cancelled.status}`);

  step(9, 'delete the input file: every replica goes');
  await client.files.delete(file.id);
  console.log(
    `    provider files left with purpose=batch: ${[...deployments.keys()].map((e) => [...e.files.values()].filter((f) => f.purpose === 'batch').length).join(' + ')}`,
  );

  step(10, 'a mixed group (mixed-batch = 1 Azure + 1 Vertex AI Gemini deployment): upload once');
  const mixedLines = lines.map((l) => l.replace('"gpt-4o-batch"', '"mixed-batch"'));
  const mixed = await client.files.create({
    file: await toFile(Buffer.from(mixedLines.join('\n') + '\n'), 'mixed.jsonl'),
    purpose: 'batch',
    target_model_names: 'mixed-batch',
  } as never);
  const azureCopy = [...east.files.values()].at(-1)!;
  const gcsCopy = [...vertex.objects.values()].filter((o) => !o.name.endsWith('.openai.jsonl')).at(-1)!;
  console.log(`    unified file: ${mixed.id}`);
  console.log(`    Azure replica ${azureCopy.id}: ${azureCopy.content.toString().split('\n')[0].slice(0, 110)}…`);
  console.log(`    Vertex replica gs://${gcsCopy.bucket}/${gcsCopy.name}: ${gcsCopy.data.toString().split('\n')[0]}`);

  step(11, 'two batches on it: one lands on each deployment; both answer in OpenAI format');
  const jobsBefore = vertex.jobs.size;
  const mixedBatches = [
    await client.batches.create({ input_file_id: mixed.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    await client.batches.create({ input_file_id: mixed.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
  ];
  console.log(`    Vertex batchPredictionJobs created: ${vertex.jobs.size - jobsBefore}`);
  for (const b of mixedBatches) {
    let cur = b;
    while (!['completed', 'failed', 'expired', 'cancelled'].includes(cur.status)) {
      await new Promise((r) => setTimeout(r, 150));
      cur = await client.batches.retrieve(b.id);
    }
    const out = (await (await client.files.content(cur.output_file_id!)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    console.log(`    ${cur.id}: ${cur.status} ${JSON.stringify(cur.request_counts)}, model ${out[0].response.body.model}`);
    for (const o of out)
      console.log(
        `      ${o.custom_id}: "${o.response.body.choices[0].message.content}" finish ${o.response.body.choices[0].finish_reason}, usage ${JSON.stringify(o.response.body.usage)}`,
      );
    const spend = (await (
      await fetch(`${gateway.url}/spend/logs?batch_id=${cur.id}`, { headers: { authorization: 'Bearer sk-demo-master' } })
    ).json()) as Record<string, unknown>[];
    for (const l of spend) console.log(`      cost: ${l.prompt_tokens} input + ${l.completion_tokens} output tokens → $${l.spend}`);
  }
  await client.files.delete(mixed.id);
  console.log(
    `    deleted ${mixed.id}: GCS input objects left (Gemini lines + request copy): ${[...vertex.objects.keys()].filter((k) => k.includes(`/sluice/${mixed.id}/`)).length}`,
  );
  console.log('\nDone. Start your own with: npm start -- --config examples/config.yaml');
} finally {
  await gateway.close();
  await Promise.all([east.close(), west.close(), vertex.close()]);
  rmSync(dir, { recursive: true, force: true });
}
