import { parseEnvironment, ConfigError } from '@atelier/config';
import { REDIS_CONNECTION_VARIABLES, RedisServerMissingError, startLocalFarm, superviseWorkers } from '@atelier/local-services';

/** `npm start`: the whole farm on this machine until Ctrl-C. */
async function main(): Promise<void> {
  const env = parseEnvironment();
  // A Redis named by any connection variable (URL, Sentinel, Cluster, TLS) is used as is; none: a private one.
  const named = Object.fromEntries(REDIS_CONNECTION_VARIABLES.filter((key) => process.env[key]).map((key) => [key, process.env[key]]));
  const farm = await startLocalFarm({
    port: env.PORT,
    redisEnv: env.REDIS_URL || env.REDIS_SENTINELS || env.REDIS_CLUSTER_NODES ? named : undefined,
    apiKey: env.ATELIER_BOOTSTRAP_API_KEY,
    workers: 1,
    output: process.stdout,
    env: { HOST: env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST },
  });
  console.log(
    [
      '',
      `Atelier is running: API ${farm.apiUrl}  (docs: ${farm.apiUrl}/docs)`,
      `Redis: ${farm.redisUrl || env.REDIS_SENTINELS || env.REDIS_CLUSTER_NODES}`,
      `Local API key: ${farm.apiKey}`,
      `Try: curl -s -H "Authorization: Bearer ${farm.apiKey}" -H 'Content-Type: application/json' \\`,
      `       -d '{"prompt":"a red circle on a blue background"}' ${farm.apiUrl}/v1/generations`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  // A dead worker is restarted (1 s, doubling to 30 s); the API dying still stops everything.
  const supervisor = superviseWorkers(farm);
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    supervisor.stop();
    console.log('\nStopping the farm…');
    await farm.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  void farm.api.exited.then((code) => {
    if (!stopping) {
      console.error(`api exited unexpectedly (code ${code}); stopping the farm.`);
      void stop();
    }
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof RedisServerMissingError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
