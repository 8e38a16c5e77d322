export { runJobsOnQueue, type QueueRunOptions } from './coordinator.ts';
export { startQueueWorker, type QueueWorker, type QueueWorkerOptions } from './worker.ts';
export { checkRedisReachable, checkRedisUrl, connectRedis, redactRedisUrl } from './redis-connection.ts';
export { codeVersion, dataVersion, keyMismatch, tidalVersion, type JobKey } from './job-key.ts';
export { QUEUE_NAME, mapRunsRoot, queueJobId, type QueueJobData, type QueueJobProgress } from './protocol.ts';
