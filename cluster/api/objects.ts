/**
 * The cluster's API objects, shaped like Kubernetes' (same field names and
 * meanings, a smaller set of them), so that users and tools that know
 * Kubernetes read them without a dictionary. Every object has `apiVersion`,
 * `kind`, `metadata`; most have `spec` (desired state, written by users and
 * controllers) and `status` (observed state, written through the `/status`
 * subresource by the component that observes it).
 *
 * Quantities (`cpu: "500m"`, `memory: "128Mi"`) are strings as in Kubernetes;
 * `quantity.ts` parses them. Times are RFC 3339 strings in UTC.
 *
 * Who writes what (the contract between the parts building on this file):
 * - users / `vigil ctl`: Namespace, Deployment, Service, ConfigMap, Secret, ResourceQuota, bare Pods
 * - deployment controller: ReplicaSets (one per pod-template hash = a revision), Deployment status
 * - replica set controller: Pods (with ownerReferences), ReplicaSet status
 * - scheduler: Pod `spec.nodeName` (binding), Events for unschedulable pods
 * - node agent: its Node (+ status), Lease in `kube-node-lease`, Pod status, graceful-delete completion
 * - endpoints controller: Endpoints; node lifecycle controller: Node Ready condition
 */

/** Labels and annotations: string → string. */
export type StringMap = Record<string, string>;

/** Points from a dependent (e.g. a Pod) to its owner (e.g. a ReplicaSet); garbage collection follows it. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  /** True on the managing controller's reference (at most one per object). */
  controller?: boolean;
  /** The owner cannot be deleted before this dependent in foreground deletion. */
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  /** On create without `name`: the server appends 5 random characters to this prefix. */
  generateName?: string;
  /** Empty for cluster-scoped kinds (Namespace, Node). */
  namespace?: string;
  labels?: StringMap;
  annotations?: StringMap;
  /** Set by the server on create (hyperid); never changes. */
  uid?: string;
  /** The store revision of the object's last write, as a decimal string; opaque to clients. */
  resourceVersion?: string;
  /** Incremented by the server on every change to `spec` (not status, not metadata). */
  generation?: number;
  creationTimestamp?: string;
  /** Set when a graceful deletion started; the object disappears once finalizers are gone / the grace ends. */
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  ownerReferences?: OwnerReference[];
  /** Names of components that must act before the object is removed; deletion waits until this is empty. */
  finalizers?: string[];
}

/** Metadata of a list response. */
export interface ListMeta {
  resourceVersion: string;
  /** Opaque token for the next page; absent on the last one. */
  continue?: string;
}

/** What every object has. */
export interface ApiObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition<T extends string = string> {
  type: T;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  /** Node conditions only: when the agent last reported it. */
  lastHeartbeatTime?: string;
  /** Deployment conditions only. */
  lastUpdateTime?: string;
}

// ---------------------------------------------------------------- label selectors

export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  key: string;
  operator: LabelSelectorOperator;
  /** Non-empty for In/NotIn, empty for Exists/DoesNotExist. */
  values?: string[];
}

/** Both parts are ANDed; an empty selector matches everything. */
export interface LabelSelector {
  matchLabels?: StringMap;
  matchExpressions?: LabelSelectorRequirement[];
}

// ---------------------------------------------------------------- Namespace

export interface Namespace extends ApiObject {
  apiVersion: 'v1';
  kind: 'Namespace';
  spec?: { finalizers?: string[] };
  status?: { phase: 'Active' | 'Terminating' };
}

// ---------------------------------------------------------------- Node

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
  timeAdded?: string;
}

/** Resource amounts by name: `cpu`, `memory`, `pods`. */
export type ResourceList = Record<string, string>;

export interface NodeSpec {
  /** Cordoned: the scheduler places no new pods here. */
  unschedulable?: boolean;
  taints?: Taint[];
}

export interface NodeAddress {
  type: 'InternalIP' | 'Hostname';
  address: string;
}

export interface NodeStatus {
  capacity?: ResourceList;
  /** Capacity minus what the agent keeps for itself; the scheduler fits requests into this. */
  allocatable?: ResourceList;
  conditions?: Condition<'Ready'>[];
  addresses?: NodeAddress[];
  /** Where the agent serves logs and metrics. */
  daemonEndpoints?: { agentEndpoint: { Port: number } };
  nodeInfo?: {
    /** Vigil's version on the node. */
    agentVersion: string;
    /** How the agent limits pods: 'cgroup2' or 'process-group' (see the agent's start-up log). */
    isolation: string;
    operatingSystem: string;
    architecture: string;
  };
}

export interface Node extends ApiObject {
  apiVersion: 'v1';
  kind: 'Node';
  spec: NodeSpec;
  status?: NodeStatus;
}

// ---------------------------------------------------------------- Pod

export interface ObjectKeySelector {
  name: string;
  key: string;
  /** When true a missing ConfigMap/Secret or key leaves the variable unset instead of failing the pod. */
  optional?: boolean;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: ObjectKeySelector; secretKeyRef?: ObjectKeySelector };
}

export interface ContainerPort {
  /** Exposed to the process as the env var `PORT_<NAME>` (upper-cased, '-' → '_'). */
  name?: string;
  /** The port the process listens on; 0 or absent = allocated by the agent from its range and passed as `PORT`. */
  containerPort?: number;
  /** Reserve this port on the node (scheduler checks conflicts). */
  hostPort?: number;
  protocol?: 'TCP';
}

export interface Probe {
  httpGet?: { path?: string; port: number | string; scheme?: 'HTTP' };
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface ResourceRequirements {
  requests?: ResourceList;
  limits?: ResourceList;
}

export interface VolumeMount {
  name: string;
  /** Relative to the pod's directory (the agent refuses absolute paths and '..'). */
  mountPath: string;
}

export interface Volume {
  name: string;
  configMap?: { name: string; optional?: boolean };
  secret?: { secretName: string; optional?: boolean };
  /** A scratch directory shared by the pod's containers. */
  emptyDir?: Record<string, never>;
}

export interface Container {
  name: string;
  /** The command line to run (Vigil runs processes, not container images), split like a shell would. */
  image: string;
  /** Overrides the executable and arguments from `image` (Kubernetes' entrypoint override). */
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: ContainerPort[];
  resources?: ResourceRequirements;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: VolumeMount[];
  /** Working directory relative to the pod directory. Default: the pod directory. */
  workingDir?: string;
}

export interface Toleration {
  /** Empty with operator Exists tolerates every taint. */
  key?: string;
  operator?: 'Equal' | 'Exists';
  value?: string;
  /** Empty = every effect. */
  effect?: TaintEffect;
  /** NoExecute only: how long the pod stays bound after the taint appears. */
  tolerationSeconds?: number;
}

export interface PodSpec {
  containers: Container[];
  /** Set by the scheduler (binding); the node agent of that node runs the pod. */
  nodeName?: string;
  nodeSelector?: StringMap;
  tolerations?: Toleration[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  /** Seconds between SIGTERM and SIGKILL on stop. Default 30. */
  terminationGracePeriodSeconds?: number;
  volumes?: Volume[];
  /** The pod's identity for the cluster API. Default `default`. */
  serviceAccountName?: string;
  /** Whether the agent writes the service account token into the pod directory. Default true. */
  automountServiceAccountToken?: boolean;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface ContainerState {
  waiting?: { reason: string; message?: string };
  running?: { startedAt: string };
  terminated?: { exitCode: number; signal?: number; reason: string; message?: string; startedAt?: string; finishedAt: string };
}

export interface ContainerStatus {
  name: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state: ContainerState;
  lastState?: ContainerState;
  /** The pid of the running process on the node (Vigil's stand-in for a container id). */
  containerID?: string;
}

export interface PodStatus {
  phase: PodPhase;
  conditions?: Condition<'PodScheduled' | 'Ready' | 'ContainersReady'>[];
  hostIP?: string;
  /** Pods share the node's network: this is the node's address. */
  podIP?: string;
  startTime?: string;
  containerStatuses?: ContainerStatus[];
  reason?: string;
  message?: string;
}

export interface Pod extends ApiObject {
  apiVersion: 'v1';
  kind: 'Pod';
  spec: PodSpec;
  status?: PodStatus;
}

export interface PodTemplateSpec {
  metadata?: { labels?: StringMap; annotations?: StringMap };
  spec: PodSpec;
}

// ---------------------------------------------------------------- Deployment, ReplicaSet

/** An absolute number or a percentage string like "25%". */
export type IntOrString = number | string;

export interface DeploymentStrategy {
  type: 'RollingUpdate' | 'Recreate';
  rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString };
}

export interface DeploymentSpec {
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
  strategy?: DeploymentStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  paused?: boolean;
  /**
   * Names of alerts that must stay quiet while this Deployment rolls out: when one of
   * them fires for the new revision during the rollout (or its settle window), Vigil
   * undoes the rollout to the previous revision (cluster/actions/auto_rollback.ts).
   * At most 32 unique, non-empty names.
   */
  rollbackOn?: string[];
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  /** `RolledBack` is set (True) by an auto-rollback and says why; cleared when a rollout creates a new ReplicaSet. */
  conditions?: Condition<DeploymentConditionType>[];
}

export type DeploymentConditionType = 'Available' | 'Progressing' | 'RolledBack';

export interface Deployment extends ApiObject {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  spec: DeploymentSpec;
  status?: DeploymentStatus;
}

/**
 * One revision of a Deployment: named `<deployment>-<pod-template-hash>`, labelled
 * `pod-template-hash`, annotated `deployment.kubernetes.io/revision`, owned by the Deployment.
 */
export interface ReplicaSetSpec {
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
  minReadySeconds?: number;
}

export interface ReplicaSetStatus {
  replicas: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
}

export interface ReplicaSet extends ApiObject {
  apiVersion: 'apps/v1';
  kind: 'ReplicaSet';
  spec: ReplicaSetSpec;
  status?: ReplicaSetStatus;
}

/** Label on ReplicaSets and their pods naming the template revision. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** Annotation on ReplicaSets (and the Deployment) with the revision number. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

// ---------------------------------------------------------------- Service, Endpoints

export interface ServicePort {
  name?: string;
  protocol?: 'TCP';
  /** The port the node agents' proxies listen on. */
  port: number;
  /** The pod's port: a number, or the name of a container port. Default: `port`. */
  targetPort?: IntOrString;
}

export interface ServiceSpec {
  /** Pods with all these labels back the Service. */
  selector?: StringMap;
  ports: ServicePort[];
  type?: 'ClusterIP';
}

export interface Service extends ApiObject {
  apiVersion: 'v1';
  kind: 'Service';
  spec: ServiceSpec;
}

export interface EndpointAddress {
  ip: string;
  nodeName?: string;
  targetRef?: { kind: 'Pod'; namespace: string; name: string; uid: string };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: 'TCP';
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** Written by the endpoints controller, same name as its Service. */
export interface Endpoints extends ApiObject {
  apiVersion: 'v1';
  kind: 'Endpoints';
  subsets?: EndpointSubset[];
}

// ---------------------------------------------------------------- ConfigMap, Secret

export interface ConfigMap extends ApiObject {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  data?: StringMap;
}

export interface Secret extends ApiObject {
  apiVersion: 'v1';
  kind: 'Secret';
  type?: string;
  /** Values are base64. */
  data?: StringMap;
  /** Write-only convenience: plain values merged into `data` by the server, never returned. */
  stringData?: StringMap;
}

// ---------------------------------------------------------------- ResourceQuota

/** Quota resource names enforced on pod creation. `cpu`/`memory` mean `requests.cpu`/`requests.memory`. */
export const QUOTA_RESOURCES = ['pods', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory', 'cpu', 'memory'] as const;

export interface ResourceQuota extends ApiObject {
  apiVersion: 'v1';
  kind: 'ResourceQuota';
  spec: { hard: ResourceList };
  status?: { hard?: ResourceList; used?: ResourceList };
}

// ---------------------------------------------------------------- Event, Lease

export interface ObjectReference {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface Event extends ApiObject {
  apiVersion: 'v1';
  kind: 'Event';
  involvedObject: ObjectReference;
  /** Short CamelCase machine-readable cause, e.g. `FailedScheduling`. */
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  source?: { component: string; host?: string };
  firstTimestamp?: string;
  lastTimestamp?: string;
  /** How many times this event occurred (repeats are folded into one object). */
  count?: number;
}

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** coordination.k8s.io/v1 Lease: node heartbeats (namespace `kube-node-lease`) and leader election. */
export interface Lease extends ApiObject {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  spec: LeaseSpec;
}

/** Namespace of node heartbeat Leases, as in Kubernetes. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

// ---------------------------------------------------------------- ScalingPolicy (autoscaling.vigil.dev/v1)

/** How fast a ScalingPolicy may add replicas (Kubernetes HPA's default behaviour). */
export interface ScaleUpRules {
  /** Scale up when value > targetPerReplica × (1 + tolerance). Default: `spec.tolerance`. */
  tolerance?: number;
  /** At most this many percent more replicas than at the start of the period. Default 100. */
  maxPercent?: number;
  /** …or at most this many more replicas, whichever allows more. Default 4. */
  maxPods?: number;
  /** The period the two limits above apply to, seconds. Default 15. */
  periodSeconds?: number;
}

/** How a ScalingPolicy removes replicas. */
export interface ScaleDownRules {
  /** Scale down when value < targetPerReplica × (1 − tolerance). Default: `spec.tolerance`. */
  tolerance?: number;
  /** Scale down only to the highest recommendation of this many past seconds. Default 300, at least 30. */
  stabilizationWindowSeconds?: number;
}

export interface ScalingPolicySpec {
  /** Name of the Deployment (same namespace) whose `spec.replicas` the policy sets. */
  target: string;
  /** Default 1. */
  minReplicas?: number;
  maxReplicas: number;
  /**
   * PromQL returning one sample: the current value per replica. `$namespace`, `$target`
   * (the Deployment), `$policy` and `$replicas` (current replica count) are replaced first.
   */
  query: string;
  /** The value per replica the policy aims at (> 0). */
  targetPerReplica: number;
  /** Default tolerance of both directions. Default 0.1. */
  tolerance?: number;
  scaleUp?: ScaleUpRules;
  scaleDown?: ScaleDownRules;
  /** Compute and record decisions without changing the Deployment. Default false. */
  dryRun?: boolean;
}

export interface ScalingPolicyStatus {
  observedGeneration?: number;
  currentReplicas?: number;
  desiredReplicas?: number;
  /** The query's last value (absent while metrics are missing). */
  lastValue?: number;
  lastEvaluationTime?: string;
  /** When the policy last changed the Deployment's replicas. */
  lastScaleTime?: string;
  /** The reason of the last decision (scale_up, within_tolerance, metrics_missing, …). */
  lastReason?: string;
  conditions?: Condition<'MetricsAvailable' | 'ScalingActive' | 'ScalingLimited'>[];
}

/** autoscaling.vigil.dev/v1 ScalingPolicy: scales a Deployment from a PromQL value (cluster/autoscale/). */
export interface ScalingPolicy extends ApiObject {
  apiVersion: 'autoscaling.vigil.dev/v1';
  kind: 'ScalingPolicy';
  spec: ScalingPolicySpec;
  status?: ScalingPolicyStatus;
}

// ---------------------------------------------------------------- ServiceAccount, RBAC

/** A namespaced identity for processes in pods (`system:serviceaccount:<ns>:<name>`); `default` exists in every namespace. */
export interface ServiceAccount extends ApiObject {
  apiVersion: 'v1';
  kind: 'ServiceAccount';
}

/** What `POST …/serviceaccounts/<name>/token` takes and answers (authentication.k8s.io/v1 TokenRequest, trimmed). */
export interface TokenRequest {
  apiVersion: 'authentication.k8s.io/v1';
  kind: 'TokenRequest';
  metadata?: Partial<ObjectMeta>;
  spec: {
    /** Requested lifetime; the server caps it. Default 3600. */
    expirationSeconds?: number;
    /** The pod the token is for: a node may only ask for tokens of its own pods; the token dies with the pod. */
    boundObjectRef?: { kind: 'Pod'; name: string; uid?: string };
  };
  status?: { token: string; expirationTimestamp: string };
}

/**
 * One permission: verbs on resources of API groups, optionally only the named objects.
 * `*` matches everything in its list; a resource may name a subresource (`pods/status`,
 * `serviceaccounts/token`); `nonResourceURLs` is not supported.
 */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

/** Whom a binding grants to: a User, a Group or a ServiceAccount (namespace required for it). */
export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  apiGroup?: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup: 'rbac.authorization.k8s.io';
  kind: 'Role' | 'ClusterRole';
  name: string;
}

/** rbac.authorization.k8s.io/v1 Role: rules valid in its namespace. */
export interface Role extends ApiObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'Role';
  rules?: PolicyRule[];
}

/** rbac.authorization.k8s.io/v1 ClusterRole: rules granted cluster-wide or, through a RoleBinding, in one namespace. */
export interface ClusterRole extends ApiObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRole';
  rules?: PolicyRule[];
}

/** Grants a Role or ClusterRole to subjects within the binding's namespace. */
export interface RoleBinding extends ApiObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'RoleBinding';
  subjects?: Subject[];
  roleRef: RoleRef;
}

/** Grants a ClusterRole to subjects in every namespace and on cluster-scoped kinds. */
export interface ClusterRoleBinding extends ApiObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRoleBinding';
  subjects?: Subject[];
  roleRef: RoleRef;
}

/** Any object the API serves. */
export type AnyObject =
  | Namespace
  | Node
  | Pod
  | Deployment
  | ReplicaSet
  | Service
  | Endpoints
  | ConfigMap
  | Secret
  | ResourceQuota
  | Event
  | Lease
  | ScalingPolicy
  | ServiceAccount
  | Role
  | ClusterRole
  | RoleBinding
  | ClusterRoleBinding;

/** A list response: `kind` is `<Kind>List`. */
export interface ObjectList<T extends ApiObject = ApiObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}
