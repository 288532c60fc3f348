export { environmentSchema, parseEnvironment, ConfigError, type Environment } from './env.schema.js';
export { loadAppConfig, type AppConfig, type StorageSettings } from './app-config.js';
export { loadOrCreateSecrets } from './secrets.js';
export { APP_CONFIG } from './tokens.js';
export { VERSION } from './version.js';
export { sourceImageLimits, type SourceImageLimits } from './source-image-limits.js';
export { loadRedisSettings, parseHostPort, redisSettingsOf, type HostPort, type RedisMode, type RedisSettings, type RedisTls } from './redis-settings.js';
export { redisTopologyProblems } from './redis-topology-rules.js';
