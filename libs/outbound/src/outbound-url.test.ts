import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutboundAllowlist } from './allowlist.js';
import { OutboundError } from './outbound-error.js';
import { checkOutboundUrl, type OutboundPolicy } from './outbound-url.js';
import { redactUrl } from './redact-url.js';

const images: OutboundPolicy = { allowlist: OutboundAllowlist.empty, schemes: ['http:', 'https:'] };

const codeOf = (raw: string, policy: OutboundPolicy = images): string | undefined => {
  try {
    checkOutboundUrl(raw, policy);
    return undefined;
  } catch (error) {
    return error instanceof OutboundError ? error.code : 'not an OutboundError';
  }
};

describe('static URL check', () => {
  it('refuses loopback however the WHATWG URL parser lets it be spelled', () => {
    for (const raw of [
      'http://127.0.0.1/x.png',
      'http://2130706433/x.png',
      'http://0x7f000001/x.png',
      'http://0x7f.0.0.1/x.png',
      'http://0177.0.0.1/x.png',
      'http://127.1/x.png',
      'http://127.0.1/x.png',
      'http://[::ffff:127.0.0.1]/x.png',
      'http://[::ffff:7f00:1]/x.png',
      'http://[0:0:0:0:0:ffff:127.0.0.1]/x.png',
      'http://[::1]/x.png',
      'http://[::127.0.0.1]/x.png',
      'http://[64:ff9b::127.0.0.1]/x.png',
      'http://[2002:7f00:1::]/x.png',
      'http://0.0.0.0:8080/x.png',
      'http://0/x.png',
      'http://169.254.169.254/latest/meta-data',
      'http://[fd00:ec2::254]/latest/meta-data',
      'http://10.0.0.7/x.png',
      'http://100.64.0.1/x.png',
    ]) {
      assert.equal(codeOf(raw), 'forbidden_address', raw);
    }
  });

  it('refuses localhost and metadata names, credentials, and schemes other than http(s)', () => {
    assert.equal(codeOf('http://localhost:8080/x.png'), 'forbidden_host');
    assert.equal(codeOf('http://LOCALHOST./x.png'), 'forbidden_host');
    assert.equal(codeOf('http://metadata.google.internal/computeMetadata/v1/'), 'forbidden_host');
    assert.equal(codeOf('http://user:pass@example.com/x.png'), 'credentials');
    assert.equal(codeOf('http://user@example.com/x.png'), 'credentials');
    for (const raw of ['file:///etc/passwd', 'ftp://example.com/x', 'gopher://example.com/', 'data:image/png;base64,AAAA']) assert.equal(codeOf(raw), 'forbidden_scheme', raw);
    assert.equal(codeOf('not a url'), 'invalid_url');
    assert.equal(codeOf('http://example.com/x.png', { allowlist: OutboundAllowlist.empty, schemes: ['https:'] }), 'forbidden_scheme');
  });

  it('accepts public hosts and addresses (host names are checked again at fetch time)', () => {
    for (const raw of ['https://example.com/x.png', 'http://8.8.8.8/x.png', 'http://[2606:4700::1111]/x.png', 'https://images.example.com:8443/a?b=c']) assert.equal(codeOf(raw), undefined, raw);
  });

  it('lets an allowlist entry through on its host AND port only', () => {
    const policy: OutboundPolicy = { allowlist: OutboundAllowlist.parse('127.0.0.1:4000, [::1]:5000, internal.example'), schemes: ['https:'] };
    assert.equal(codeOf('http://127.0.0.1:4000/x', policy), undefined);
    assert.equal(codeOf('http://2130706433:4000/x', policy), undefined, 'the same address in another spelling is the same entry');
    assert.equal(codeOf('http://127.0.0.1:4001/x', policy), 'forbidden_scheme');
    assert.equal(codeOf('https://127.0.0.1:4001/x', policy), 'forbidden_address');
    assert.equal(codeOf('https://127.0.0.1/x', policy), 'forbidden_address');
    assert.equal(codeOf('http://[::1]:5000/x', policy), undefined);
    assert.equal(codeOf('http://internal.example/x', policy), undefined, 'bare host: http on 80');
    assert.equal(codeOf('https://internal.example/x', policy), undefined, 'bare host: https on 443');
    assert.equal(OutboundAllowlist.parse('internal.example').allows(new URL('https://internal.example:8443/')), false);
    assert.equal(codeOf('http://user:pw@127.0.0.1:4000/x', policy), 'credentials', 'credentials are refused even when allowlisted');
    assert.throws(() => OutboundAllowlist.parse('127.0.0.1:99999'), TypeError);
    assert.throws(() => OutboundAllowlist.parse('http://127.0.0.1'), TypeError);
  });

  it('redacts credentials in URLs written to logs', () => {
    assert.equal(redactUrl('https://user:secret@example.com/x?y=1'), 'https://REDACTED@example.com/x?y=1');
    assert.equal(redactUrl('https://example.com/x'), 'https://example.com/x');
    assert.equal(redactUrl('weird://user:secret@host with space/'), 'weird://REDACTED@host with space/');
  });
});
