/**
 * The `prometheus_remote_storage_*` metrics of the remote write sender, with
 * Prometheus's names, help texts and labels (`remote_name`, `url`), registered once
 * per registry and shared by every queue (each queue uses its own label values and
 * removes them when it stops).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const LABELS = ['remote_name', 'url'] as const;
type QueueLabels = { remote_name: string; url: string };

function counter(reg: Registry, name: string, help: string): Counter<'remote_name' | 'url'> {
  const existing = reg.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<'remote_name' | 'url'>;
  return new Counter({ name, help, labelNames: LABELS, registers: [reg] });
}

function gauge(reg: Registry, name: string, help: string): Gauge<'remote_name' | 'url'> {
  const existing = reg.getSingleMetric(name);
  if (existing instanceof Gauge) return existing as Gauge<'remote_name' | 'url'>;
  return new Gauge({ name, help, labelNames: LABELS, registers: [reg] });
}

const P = 'prometheus_remote_storage_';

/** The metric families; one instance per registry. */
export class RemoteWriteMetrics {
  readonly samplesTotal: Counter<'remote_name' | 'url'>;
  readonly samplesFailed: Counter<'remote_name' | 'url'>;
  readonly samplesRetried: Counter<'remote_name' | 'url'>;
  readonly samplesDropped: Counter<'remote_name' | 'url'>;
  readonly enqueueRetries: Counter<'remote_name' | 'url'>;
  readonly bytesTotal: Counter<'remote_name' | 'url'>;
  readonly sentBatchDuration: Histogram<'remote_name' | 'url'>;
  readonly highestSent: Gauge<'remote_name' | 'url'>;
  readonly samplesPending: Gauge<'remote_name' | 'url'>;
  readonly shardCapacity: Gauge<'remote_name' | 'url'>;
  readonly shards: Gauge<'remote_name' | 'url'>;
  readonly shardsMax: Gauge<'remote_name' | 'url'>;
  readonly shardsMin: Gauge<'remote_name' | 'url'>;
  readonly shardsDesired: Gauge<'remote_name' | 'url'>;
  readonly maxSamplesPerSend: Gauge<'remote_name' | 'url'>;
  readonly samplesIn: Counter;
  readonly highestIn: Gauge;

  constructor(reg: Registry) {
    this.samplesTotal = counter(reg, `${P}samples_total`, 'Total number of samples sent to remote storage.');
    this.samplesFailed = counter(reg, `${P}samples_failed_total`, 'Total number of samples which failed on send to remote storage, non-recoverable errors.');
    this.samplesRetried = counter(
      reg,
      `${P}samples_retried_total`,
      'Total number of samples which failed on send to remote storage but were retried because the send error was recoverable.',
    );
    this.samplesDropped = counter(
      reg,
      `${P}samples_dropped_total`,
      'Total number of samples which were dropped after being read from the WAL before being sent via remote write, either via relabelling or unintentionally because of an unknown reference ID.',
    );
    this.enqueueRetries = counter(reg, `${P}enqueue_retries_total`, "Total number of times enqueue has failed because a shards queue was full.");
    this.bytesTotal = counter(reg, `${P}bytes_total`, 'The total number of bytes of data (not metadata) sent by the queue after compression.');
    const h = reg.getSingleMetric(`${P}sent_batch_duration_seconds`);
    this.sentBatchDuration =
      h instanceof Histogram
        ? (h as Histogram<'remote_name' | 'url'>)
        : new Histogram({
            name: `${P}sent_batch_duration_seconds`,
            help: 'Duration of send calls to the remote storage.',
            labelNames: LABELS,
            buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300],
            registers: [reg],
          });
    this.highestSent = gauge(
      reg,
      `${P}queue_highest_sent_timestamp_seconds`,
      'Timestamp from a WAL sample, the highest timestamp successfully sent by this queue, in seconds since epoch.',
    );
    this.samplesPending = gauge(reg, `${P}samples_pending`, 'The number of samples pending in the queues shards to be sent to the remote storage.');
    this.shardCapacity = gauge(reg, `${P}shard_capacity`, 'The capacity of each shard of the queue used for parallel sending to the remote storage.');
    this.shards = gauge(reg, `${P}shards`, 'The number of shards used for parallel sending to the remote storage.');
    this.shardsMax = gauge(reg, `${P}shards_max`, 'The maximum number of shards that the queue is allowed to run.');
    this.shardsMin = gauge(reg, `${P}shards_min`, 'The minimum number of shards that the queue is allowed to run.');
    this.shardsDesired = gauge(
      reg,
      `${P}shards_desired`,
      'The number of shards that the queues shard calculation wants to run based on the rate of samples in vs. samples out.',
    );
    this.maxSamplesPerSend = gauge(reg, `${P}max_samples_per_send`, 'The maximum number of samples to be sent, in a single request, to the remote storage.');
    const si = reg.getSingleMetric(`${P}samples_in_total`);
    this.samplesIn =
      si instanceof Counter ? si : new Counter({ name: `${P}samples_in_total`, help: 'Samples in to remote storage, compare to samples out for queue managers.', registers: [reg] });
    const hi = reg.getSingleMetric(`${P}highest_timestamp_in_seconds`);
    this.highestIn =
      hi instanceof Gauge
        ? hi
        : new Gauge({
            name: `${P}highest_timestamp_in_seconds`,
            help: 'Highest timestamp that has come into the remote storage via the Appender interface, in seconds since epoch.',
            registers: [reg],
          });
  }

  /** Removes one queue's series from every labelled family. */
  remove(l: QueueLabels): void {
    for (const m of [
      this.samplesTotal,
      this.samplesFailed,
      this.samplesRetried,
      this.samplesDropped,
      this.enqueueRetries,
      this.bytesTotal,
      this.sentBatchDuration,
      this.highestSent,
      this.samplesPending,
      this.shardCapacity,
      this.shards,
      this.shardsMax,
      this.shardsMin,
      this.shardsDesired,
      this.maxSamplesPerSend,
    ]) {
      m.remove(l);
    }
  }
}
