/** The URL with any `user:password@` replaced, for logs and error messages. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (!url.username && !url.password) return url.href;
    url.username = 'REDACTED';
    url.password = '';
    return url.href;
  } catch {
    // Not parseable: strip anything that looks like credentials before an @ in the authority.
    return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1REDACTED@');
  }
}
