export const REDIS = Symbol('REDIS');
export const WEBHOOK_QUEUE = Symbol('WEBHOOK_QUEUE');
export const OBJECT_STORAGE = Symbol('OBJECT_STORAGE');
