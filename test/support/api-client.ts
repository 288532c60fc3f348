/** A tiny typed HTTP client for the tests: real fetch against the real API process. */
export interface ApiResponse<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export class TestApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = text && response.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as T) : (text as unknown as T);
    return { status: response.status, headers: response.headers, body: parsed };
  }

  /** Polls a generation until `until` holds (default: a terminal status). */
  async waitFor<T extends { status: string }>(path: string, until: (body: T) => boolean = (body) => ['succeeded', 'failed', 'canceled'].includes(body.status), timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: T | undefined;
    while (Date.now() < deadline) {
      const response = await this.request<T>('GET', path);
      last = response.body;
      if (response.status === 200 && until(response.body)) return response.body;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting on ${path}; last: ${JSON.stringify(last)}`);
  }
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
