import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isForbiddenAddress, isForbiddenHostname } from './address-policy.js';

describe('address policy', () => {
  it('refuses every IPv4 range that reaches the host, its networks or a metadata service', () => {
    const forbidden = {
      'this network': ['0.0.0.0', '0.1.2.3'],
      private: ['10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.255', '192.168.0.1', '192.168.255.255'],
      CGNAT: ['100.64.0.1', '100.127.255.255', '100.100.100.200'],
      loopback: ['127.0.0.1', '127.255.255.254'],
      'link-local / metadata': ['169.254.0.1', '169.254.169.254'],
      'protocol assignments, documentation, benchmarking': ['192.0.0.8', '192.0.2.1', '198.18.0.1', '198.19.255.255', '198.51.100.7', '203.0.113.9', '192.88.99.1'],
      'multicast, reserved, broadcast': ['224.0.0.1', '239.255.255.255', '240.0.0.1', '255.255.255.255'],
      'Azure wire server': ['168.63.129.16'],
    };
    for (const [range, addresses] of Object.entries(forbidden)) {
      for (const address of addresses) assert.equal(isForbiddenAddress(address), true, `${range}: ${address}`);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '172.15.255.255', '100.128.0.1', '100.63.255.255', '169.253.0.1', '192.169.0.1', '11.0.0.1', '126.255.255.255', '128.0.0.1', '168.63.129.17']) {
      assert.equal(isForbiddenAddress(address), false, address);
    }
  });

  it('refuses every IPv6 range, and IPv4 carried inside IPv6 in any encoding', () => {
    const forbidden = {
      'unspecified, loopback': ['::', '::1', '0:0:0:0:0:0:0:1'],
      '::/96 IPv4-compatible': ['::127.0.0.1', '::7f00:1', '::8.8.8.8', '::a00:1'],
      'IPv4-mapped (any embedded address)': ['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:8.8.8.8', '0:0:0:0:0:ffff:a9fe:a9fe'],
      'IPv4-translated': ['::ffff:0:7f00:1'],
      'NAT64 64:ff9b::/96 with a forbidden IPv4': ['64:ff9b::7f00:1', '64:ff9b::127.0.0.1', '64:ff9b::a9fe:a9fe', '64:ff9b::a00:1'],
      'NAT64 local-use 64:ff9b:1::/48': ['64:ff9b:1::1', '64:ff9b:1:ffff::808:808'],
      '6to4 2002::/16 with a forbidden IPv4': ['2002:7f00:1::', '2002:7f00:0001::1', '2002:a9fe:a9fe::1', '2002:c0a8:0101::1', '2002:a00:1::'],
      Teredo: ['2001:0:4136:e378:8000:63bf:3fff:fdd2'],
      documentation: ['2001:db8::1'],
      discard: ['100::1'],
      'unique-local (incl. AWS metadata fd00:ec2::254)': ['fc00::1', 'fd00:ec2::254', 'fdff:ffff::1'],
      'link-local, site-local': ['fe80::1', 'fe80::1%eth0', 'febf::1', 'fec0::1'],
      multicast: ['ff02::1', 'ff05::2'],
    };
    for (const [range, addresses] of Object.entries(forbidden)) {
      for (const address of addresses) assert.equal(isForbiddenAddress(address), true, `${range}: ${address}`);
    }
    for (const address of ['2606:4700::1111', '2a00:1450:4001::200e', '64:ff9b::808:808', '2002:808:808::1', '[2606:4700::1111]']) {
      assert.equal(isForbiddenAddress(address), false, address);
    }
  });

  it('treats anything that is not an IP address as forbidden', () => {
    for (const value of ['', 'example.com', '127.1', '2130706433', '0x7f000001', '1.2.3.4.5']) assert.equal(isForbiddenAddress(value), true, value);
  });

  it('refuses names that always mean the local host or a metadata service', () => {
    for (const name of ['localhost', 'LOCALHOST', 'localhost.', 'api.localhost', 'metadata.google.internal', 'metadata.google.internal.', 'metadata', 'instance-data']) {
      assert.equal(isForbiddenHostname(name), true, name);
    }
    for (const name of ['example.com', 'localhost.example.com', 'mylocalhost']) assert.equal(isForbiddenHostname(name), false, name);
  });
});
