/** The resource table entries the controllers use, by name (cluster/api/resources.ts has them all). */
import { RESOURCES, type ResourceInfo } from '../api/resources.js';

function info(resource: string): ResourceInfo {
  const i = RESOURCES.find((r) => r.resource === resource);
  if (i === undefined) throw new Error(`BUG: resource ${resource} missing from the resource table`);
  return i;
}

export const PODS = info('pods');
export const NODES = info('nodes');
export const DEPLOYMENTS = info('deployments');
export const REPLICASETS = info('replicasets');
export const SERVICES = info('services');
export const ENDPOINTS = info('endpoints');
export const LEASES = info('leases');
export const EVENTS = info('events');
