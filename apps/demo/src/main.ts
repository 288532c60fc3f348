import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXAMPLE_GENERATION_REQUEST } from '@atelier/contracts';
import { RedisServerMissingError, startLocalFarm } from '@atelier/local-services';

/** The README's example request, sent as-is apart from the model and its native size. */
const DEMO_REQUEST = { ...EXAMPLE_GENERATION_REQUEST, model: 'demo-sd15', img_width: 256, img_height: 256 };

interface GenerationBody {
  id: string;
  status: string;
  outputs: Array<{ url?: string; seed: number; width: number; height: number }>;
  error: { code: string; message: string } | null;
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log('Starting a private farm (Redis, API, one worker)…');
  const farm = await startLocalFarm({ env: { LOG_LEVEL: 'warn', DATA_DIR: path.resolve('.data/demo') } });
  try {
    console.log(`API ${farm.apiUrl} is up; local API key: ${farm.apiKey}`);
    const headers = { authorization: `Bearer ${farm.apiKey}`, 'content-type': 'application/json' };
    const submitted = await fetch(`${farm.apiUrl}/v1/generations`, { method: 'POST', headers, body: JSON.stringify(DEMO_REQUEST) });
    const accepted = (await submitted.json()) as GenerationBody;
    if (submitted.status !== 202) throw new Error(`submission refused (HTTP ${submitted.status}): ${JSON.stringify(accepted)}`);
    console.log(`Submitted ${accepted.id}; waiting for the worker…`);
    let current = accepted;
    const deadline = Date.now() + 300_000;
    while (!['succeeded', 'failed', 'canceled'].includes(current.status)) {
      if (Date.now() > deadline) throw new Error('the generation did not finish within 5 minutes');
      await new Promise((resolve) => setTimeout(resolve, 200));
      current = (await (await fetch(`${farm.apiUrl}/v1/generations/${accepted.id}`, { headers })).json()) as GenerationBody;
    }
    if (current.status !== 'succeeded') throw new Error(`generation ${current.status}: ${JSON.stringify(current.error)}`);
    await mkdir('out', { recursive: true });
    const files: string[] = [];
    for (const [index, output] of current.outputs.entries()) {
      const image = await fetch(output.url as string);
      if (!image.ok) throw new Error(`downloading ${output.url} answered HTTP ${image.status}`);
      const file = path.resolve('out', `${current.id}-${index}.png`);
      await writeFile(file, Buffer.from(await image.arrayBuffer()));
      files.push(file);
    }
    console.log(JSON.stringify(current, null, 2));
    for (const file of files) console.log(`Image written to ${file}`);
    console.log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  } finally {
    await farm.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof RedisServerMissingError ? error.message : error);
    process.exit(error instanceof RedisServerMissingError ? 2 : 1);
  },
);
