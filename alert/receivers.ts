/**
 * The action interface: every alert state change, delivered in process to
 * registered receivers alongside Alertmanager (the cluster manager uses it for
 * autoscaling and failover).
 *
 * Contract: a receiver is called once per change, after the evaluation step that
 * produced it (never inside it), in registration order. It must return quickly —
 * queue slow work — and must not throw; an exception is logged and ignored, and
 * the other receivers still run. Register with `RuleManager.addReceiver`.
 */
import type { AlertStateChange } from './alerting_rule.js';

export type { AlertState, AlertStateChange } from './alerting_rule.js';

/** Receives one alert state change. */
export type AlertReceiver = (change: AlertStateChange) => void;

/** A receiver that keeps every change it sees (bounded), for tests and audit views. */
export class RecordingReceiver {
  readonly changes: AlertStateChange[] = [];
  constructor(private readonly max = 10_000) {}
  /** The receiver function to register. */
  readonly receive: AlertReceiver = (c) => {
    this.changes.push(c);
    if (this.changes.length > this.max) this.changes.splice(0, this.changes.length - this.max);
  };
}
