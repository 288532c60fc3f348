import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bundledClipTokenizerDir, loadBundledClipTokenizer } from './bundled-tokenizer.js';
import { ClipTokenizer } from './clip-tokenizer.js';
import { findRepoRoot } from './repo-root.js';
import { TokenizerFilesError } from './tokenizer-files.js';

interface ReferenceCase {
  readonly tokenizer: string;
  readonly prompt: string;
  readonly ids: number[];
  readonly padded77: number[];
  readonly openai_ids?: number[];
}

const repoRoot = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));
const fixturesDir = path.resolve(repoRoot, '../shared/fixtures/clip-tokenizer');
const FOLDER_BY_REFERENCE_ID: Readonly<Record<string, string>> = {
  tok_clip: 'clip-vit-l-14',
  tok_open: 'open-clip-pad-bang',
};

function requireFixtures(): void {
  if (existsSync(path.join(fixturesDir, 'reference-ids.json'))) return;
  const where = process.env.CI === 'true' ? 'CI must provide them at' : 'expected them at';
  assert.fail(`CLIP tokenizer fixtures are missing: ${where} ${fixturesDir} (the read-only ../shared folder beside the checkout)`);
}

function referenceCases(): ReferenceCase[] {
  requireFixtures();
  const parsed = JSON.parse(readFileSync(path.join(fixturesDir, 'reference-ids.json'), 'utf8')) as { cases: ReferenceCase[] };
  return parsed.cases;
}

const tokenizers = new Map<string, Promise<ClipTokenizer>>();
function tokenizerFor(referenceId: string): Promise<ClipTokenizer> {
  requireFixtures();
  const folder = FOLDER_BY_REFERENCE_ID[referenceId];
  assert.ok(folder, `reference-ids.json names an unknown tokenizer ${JSON.stringify(referenceId)}`);
  let loading = tokenizers.get(referenceId);
  if (loading === undefined) {
    loading = ClipTokenizer.fromFolder(path.join(fixturesDir, folder));
    tokenizers.set(referenceId, loading);
  }
  return loading;
}

describe('ClipTokenizer against transformers reference ids', () => {
  it('has cases for both tokenizer folders', () => {
    const cases = referenceCases();
    const perFolder = new Map<string, number>();
    for (const c of cases) perFolder.set(c.tokenizer, (perFolder.get(c.tokenizer) ?? 0) + 1);
    assert.deepEqual([...perFolder.keys()].sort(), Object.keys(FOLDER_BY_REFERENCE_ID).sort());
    for (const count of perFolder.values()) assert.ok(count >= 20, `expected >= 20 cases per folder, got ${count}`);
  });

  it('reproduces ids and padded77 for every case of both folders', async () => {
    const cases = referenceCases();
    for (const c of cases) {
      const tokenizer = await tokenizerFor(c.tokenizer);
      const label = `${c.tokenizer} ${JSON.stringify(c.prompt)}`;
      assert.deepEqual(tokenizer.encode(c.prompt), c.ids, `ids of ${label}`);
      assert.deepEqual(tokenizer.encodePadded(c.prompt), c.padded77, `padded77 of ${label}`);
      assert.deepEqual(tokenizer.encodePadded(c.prompt, 77), c.padded77, `padded77 (explicit length) of ${label}`);
    }
  });

  it('agrees with OpenAI ids except where OpenAI unescapes HTML entities', async () => {
    const cases = referenceCases().filter((c) => c.openai_ids !== undefined);
    assert.ok(cases.length > 0);
    for (const c of cases) {
      const ours = (await tokenizerFor(c.tokenizer)).encode(c.prompt);
      if (/&(amp|lt|gt);/.test(c.prompt)) assert.notDeepEqual(ours, c.openai_ids, c.prompt);
      else assert.deepEqual(ours, c.openai_ids, c.prompt);
    }
  });

  it('reads the special tokens of each folder, in both spellings', async () => {
    const clip = await tokenizerFor('tok_clip');
    const open = await tokenizerFor('tok_open');
    for (const t of [clip, open]) {
      assert.equal(t.bosId, 49406);
      assert.equal(t.eosId, 49407);
      assert.equal(t.unkId, 49407);
      assert.equal(t.maxLength, 77);
    }
    assert.equal(clip.padId, 49407);
    assert.equal(open.padId, 0);
  });
});

describe('ClipTokenizer behaviour', () => {
  it('turns "!" into the pad id when "!" is the pad token, as transformers does', async () => {
    // transformers splits the text at special tokens first, and "!" is one in SD 2.x tokenizer folders.
    assert.deepEqual((await tokenizerFor('tok_open')).encode('! !! !!!'), [49406, 0, 0, 0, 0, 0, 0, 49407]);
    assert.deepEqual((await tokenizerFor('tok_clip')).encode('! !! !!!'), [49406, 256, 748, 995, 49407]);
  });

  it('maps special tokens written in the prompt to their ids', async () => {
    const clip = await tokenizerFor('tok_clip');
    const ids = clip.tokenize('a<|endoftext|>b');
    assert.equal(ids.length, 3);
    assert.equal(ids[1], clip.eosId);
    assert.deepEqual(clip.tokenize('<|startoftext|>'), [clip.bosId]);
  });

  it('matches special tokens in normalised text only where the folder flags them normalized', async () => {
    const clip = await tokenizerFor('tok_clip');
    const open = await tokenizerFor('tok_open');
    assert.deepEqual(clip.tokenize('<|ENDOFTEXT|>'), [clip.eosId]);
    const pieces = [...open.tokenize('<|'), ...open.tokenize('endoftext'), ...open.tokenize('|>')];
    assert.deepEqual(open.tokenize('<|ENDOFTEXT|>'), pieces);
  });

  it('builds from in-memory files, with added tokens, defaults and the unknown id', () => {
    const tokenizer = ClipTokenizer.fromFiles({
      vocab: new Map([['h', 0], ['i</w>', 1], ['hi</w>', 2], ['<|startoftext|>', 10], ['<|endoftext|>', 11], ['<x>', 12]]),
      merges: ['h i</w>'],
      bos: { content: '<|startoftext|>', normalized: false },
      eos: { content: '<|endoftext|>', normalized: false },
      pad: { content: '<|endoftext|>', normalized: false },
      unk: { content: '<|endoftext|>', normalized: false },
      addedTokens: [{ content: '<x>', normalized: false, id: 12 }],
      maxLength: 6,
    });
    assert.deepEqual(tokenizer.tokenize('HI<x>hi z'), [2, 12, 2, 11]);
    assert.deepEqual(tokenizer.encodePadded('hi'), [10, 2, 11, 11, 11, 11]);
    assert.equal(tokenizer.maxLength, 6);
  });

  it('tokenize leaves out bos and eos', async () => {
    const clip = await tokenizerFor('tok_clip');
    assert.deepEqual(clip.tokenize('a photo of a cat'), [320, 1125, 539, 320, 2368]);
    assert.deepEqual(clip.tokenize(''), []);
  });

  it('encodePadded truncates to any length keeping eos last, and pads short prompts', async () => {
    const open = await tokenizerFor('tok_open');
    assert.deepEqual(open.encodePadded('a photo of a cat', 4), [49406, 320, 1125, 49407]);
    assert.deepEqual(open.encodePadded('a cat', 6), [49406, 320, 2368, 49407, 0, 0]);
    assert.deepEqual(open.encodePadded('', 2), [49406, 49407]);
    assert.throws(() => open.encodePadded('x', 1), RangeError);
  });

  it('decodes ids back to readable text', async () => {
    const clip = await tokenizerFor('tok_clip');
    assert.equal(clip.decode(clip.encode('A photo of a café, 4k')), 'a photo of a café , 4 k');
  });

  it('exposes vocabulary ids such as the comma', async () => {
    const clip = await tokenizerFor('tok_clip');
    assert.equal(clip.idOf(',</w>'), 267);
    assert.equal(clip.idOf('no such token'), undefined);
  });

  it('tokenizes a 75-word prompt well under a millisecond once warm', async () => {
    const clip = await tokenizerFor('tok_clip');
    const words = 'a majestic lion resting on a rocky cliff at golden hour, dramatic clouds, 8k, detailed fur,'.split(' ');
    const prompt = Array.from({ length: 75 }, (_, i) => words[i % words.length]).join(' ');
    for (let i = 0; i < 50; i++) clip.encodePadded(prompt);
    const runs = 500;
    const start = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) clip.encodePadded(prompt);
    const perCallMs = Number(process.hrtime.bigint() - start) / 1e6 / runs;
    assert.ok(perCallMs < 0.5, `took ${perCallMs.toFixed(4)} ms per prompt`);
  });

  it('reports a missing folder with a typed error naming the file', async () => {
    await assert.rejects(ClipTokenizer.fromFolder(path.join(repoRoot, 'no-such-tokenizer')), (error: unknown) => {
      assert.ok(error instanceof TokenizerFilesError);
      assert.match(error.message, /vocab\.json: not found/);
      return true;
    });
  });
});

describe('bundled tokenizer', () => {
  it('is a byte-for-byte copy of the clip-vit-l-14 fixture folder', () => {
    requireFixtures();
    for (const name of ['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json']) {
      const bundled = readFileSync(path.join(bundledClipTokenizerDir(), name));
      const fixture = readFileSync(path.join(fixturesDir, 'clip-vit-l-14', name));
      assert.ok(bundled.equals(fixture), `${name} differs from the fixture`);
    }
  });

  it('loads without ../shared', async () => {
    const tokenizer = await loadBundledClipTokenizer();
    assert.deepEqual(tokenizer.encode('a photo of a cat'), [49406, 320, 1125, 539, 320, 2368, 49407]);
    assert.equal(tokenizer.padId, 49407);
  });
});
