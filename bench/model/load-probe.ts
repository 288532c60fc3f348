// One measurement in a fresh process (`node dist/bench/model/load-probe.js '<json>'`): load a
// component with one set of session options, optionally run it, print one JSON line. A fresh
// process per variant keeps peak RSS and ORT's arenas of one variant out of the next.
import * as ort from 'onnxruntime-node';
import { syntheticFeeds, type FeedShape } from './feeds.js';
import { cacheFile, sessionVariant, type SessionVariantName } from './session-variants.js';
import { answerAsChild } from './child-entry.js';

export interface ProbeRequest {
  readonly modelPath: string;
  readonly variant: SessionVariantName;
  readonly cacheDir: string;
  readonly runs: number;
  readonly shape: FeedShape;
  readonly image: boolean;
}

export interface ProbeResult {
  readonly variant: SessionVariantName;
  readonly loadMs: number;
  readonly rssBefore: number;
  readonly rssAfterLoad: number;
  readonly maxRssAfterLoad: number;
  readonly runMs: readonly number[];
  readonly rssAfterRuns: number;
  readonly maxRss: number;
}

const maxRss = (): number => process.resourceUsage().maxRSS * 1024;

async function probe(request: ProbeRequest): Promise<ProbeResult> {
  const options = await sessionVariant(request.variant, request.modelPath, request.cacheDir);
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const file = request.variant === 'optimized-cache-read' ? await cacheFile(request.modelPath, request.cacheDir) : request.modelPath;
  const session = await ort.InferenceSession.create(file, options);
  const loadMs = performance.now() - started;
  const rssAfterLoad = process.memoryUsage().rss;
  const maxRssAfterLoad = maxRss();
  const runMs: number[] = [];
  if (request.runs > 0) {
    const feeds = syntheticFeeds(session, request.shape, request.image);
    for (let run = 0; run < request.runs; run++) {
      const runStart = performance.now();
      const outputs = await session.run(feeds);
      runMs.push(performance.now() - runStart);
      for (const output of Object.values(outputs)) output.dispose();
    }
  }
  const result = { variant: request.variant, loadMs, rssBefore, rssAfterLoad, maxRssAfterLoad, runMs, rssAfterRuns: process.memoryUsage().rss, maxRss: maxRss() };
  await session.release();
  return result;
}

answerAsChild(probe);
