import type { Backend, Category, LoadBalancing, Model, ModelSource, ModelSpec, ScalingWindow } from '../../api/models';
import { fromPairs, toPairs, type Pairs } from '../../components/KeyValueEditor';

/** The deploy form's values; converted to and from the API's model spec. */
export interface DeployFormValues {
  source: ModelSource;
  name: string;
  description?: string;
  huggingface_repo_id?: string;
  huggingface_filename?: string;
  model_scope_model_id?: string;
  model_scope_file_path?: string;
  local_path?: string;
  backend: Backend | 'auto';
  backend_version?: string;
  replicas: number;
  category: Category | 'auto';
  placement_strategy: 'spread' | 'binpack';
  worker_selector: Pairs;
  gpu_ids: string[];
  gpus_per_replica?: number | null;
  cpu_offloading: boolean;
  distributed_inference_across_workers: boolean;
  restart_on_error: boolean;
  backend_parameters_text?: string;
  backend_command?: string;
  health_path?: string;
  env: Pairs;
  max_concurrent_requests?: number | null;
  max_queue_length?: number | null;
  max_queue_wait?: number | null;
  request_log?: boolean;
  access_groups?: number[];
  min_replicas?: number | null;
  max_replicas?: number | null;
  target_outstanding_per_replica?: number | null;
  idle_timeout?: number | null;
  wake_timeout?: number | null;
  drain_timeout?: number | null;
  load_balancing?: LoadBalancing | null;
  scaling_windows_text?: string;
}

/** Scaling windows as lines "m h dom mon dow duration min_replicas"; bad lines go as typed,
 * so the server's validation names what is wrong. */
export function parseWindows(text: string | undefined): ScalingWindow[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((parts) => parts.length > 1 || parts[0])
    .map((parts) => ({
      cron: parts.slice(0, 5).join(' '),
      duration: Number(parts[5]),
      min_replicas: Number(parts[6]),
    }));
}

export function formatWindows(windows: ScalingWindow[] | undefined): string {
  return (windows ?? []).map((w) => `${w.cron} ${w.duration} ${w.min_replicas}`).join('\n');
}

export const defaultValues: DeployFormValues = {
  source: 'huggingface',
  name: '',
  backend: 'auto',
  replicas: 1,
  category: 'auto',
  placement_strategy: 'spread',
  worker_selector: [],
  gpu_ids: [],
  cpu_offloading: true,
  distributed_inference_across_workers: false,
  restart_on_error: true,
  env: [],
};

const blank = (s: string | undefined | null) => (s && s.trim() ? s.trim() : null);

export function toSpec(v: DeployFormValues): ModelSpec {
  const spec: ModelSpec = {
    name: v.name.trim(),
    description: v.description?.trim() ?? '',
    source: v.source,
    backend: v.backend === 'auto' ? null : v.backend,
    backend_version: blank(v.backend_version),
    backend_parameters: (v.backend_parameters_text ?? '').split('\n').map((l) => l.trim()).filter(Boolean),
    env: fromPairs(v.env),
    replicas: v.replicas,
    placement_strategy: v.placement_strategy,
    worker_selector: fromPairs(v.worker_selector),
    gpu_selector: v.gpu_ids.length ? { gpu_ids: v.gpu_ids, gpus_per_replica: v.gpus_per_replica ?? null } : null,
    cpu_offloading: v.cpu_offloading,
    distributed_inference_across_workers: v.distributed_inference_across_workers,
    restart_on_error: v.restart_on_error,
    max_concurrent_requests: v.max_concurrent_requests ?? null,
    max_queue_length: v.max_queue_length ?? null,
    max_queue_wait: v.max_queue_wait ?? null,
    request_log: v.request_log ? { enabled: true } : null,
    access_groups: v.access_groups ?? [],
    min_replicas: v.min_replicas ?? null,
    max_replicas: v.max_replicas ?? null,
    target_outstanding_per_replica: v.target_outstanding_per_replica ?? null,
    idle_timeout: v.idle_timeout ?? null,
    wake_timeout: v.wake_timeout ?? null,
    drain_timeout: v.drain_timeout ?? null,
    load_balancing: v.load_balancing ?? null,
    scaling_windows: parseWindows(v.scaling_windows_text),
  };
  if (v.category !== 'auto') spec.categories = [v.category];
  if (v.source === 'huggingface') {
    spec.huggingface_repo_id = blank(v.huggingface_repo_id);
    spec.huggingface_filename = blank(v.huggingface_filename);
  } else if (v.source === 'model_scope') {
    spec.model_scope_model_id = blank(v.model_scope_model_id);
    spec.model_scope_file_path = blank(v.model_scope_file_path);
  } else {
    spec.local_path = blank(v.local_path);
  }
  if (v.backend === 'custom') {
    spec.backend_command = blank(v.backend_command);
    spec.health_path = blank(v.health_path);
  }
  return spec;
}

export function fromModel(m: Model): DeployFormValues {
  return {
    source: m.source,
    name: m.name,
    description: m.description ?? undefined,
    huggingface_repo_id: m.huggingface_repo_id ?? undefined,
    huggingface_filename: m.huggingface_filename ?? undefined,
    model_scope_model_id: m.model_scope_model_id ?? undefined,
    model_scope_file_path: m.model_scope_file_path ?? undefined,
    local_path: m.local_path ?? undefined,
    backend: m.backend ?? 'auto',
    backend_version: m.backend_version ?? undefined,
    replicas: m.replicas,
    category: m.categories?.[0] ?? 'auto',
    placement_strategy: m.placement_strategy ?? 'spread',
    worker_selector: toPairs(m.worker_selector),
    gpu_ids: m.gpu_selector?.gpu_ids ?? [],
    gpus_per_replica: m.gpu_selector?.gpus_per_replica ?? null,
    cpu_offloading: m.cpu_offloading ?? true,
    distributed_inference_across_workers: m.distributed_inference_across_workers ?? false,
    restart_on_error: m.restart_on_error ?? true,
    backend_parameters_text: (m.backend_parameters ?? []).join('\n'),
    backend_command: m.backend_command ?? undefined,
    health_path: m.health_path ?? undefined,
    env: toPairs(m.env),
    max_concurrent_requests: m.max_concurrent_requests ?? null,
    max_queue_length: m.max_queue_length ?? null,
    max_queue_wait: m.max_queue_wait ?? null,
    request_log: m.request_log?.enabled ?? false,
    access_groups: m.access_groups ?? [],
    min_replicas: m.min_replicas ?? null,
    max_replicas: m.max_replicas ?? null,
    target_outstanding_per_replica: m.target_outstanding_per_replica ?? null,
    idle_timeout: m.idle_timeout ?? null,
    wake_timeout: m.wake_timeout ?? null,
    drain_timeout: m.drain_timeout ?? null,
    load_balancing: m.load_balancing ?? null,
    scaling_windows_text: formatWindows(m.scaling_windows),
  };
}

/** True when the source fields say where the model is, so an evaluation makes sense. */
export function hasSource(v: Partial<DeployFormValues>): boolean {
  if (v.source === 'huggingface') return Boolean(v.huggingface_repo_id?.trim());
  if (v.source === 'model_scope') return Boolean(v.model_scope_model_id?.trim());
  return Boolean(v.local_path?.trim());
}

/** A default deployment name from the source: the last path part, without a GGUF suffix. */
export function suggestName(v: Partial<DeployFormValues>): string {
  const raw =
    v.source === 'local_path' ? v.local_path : v.source === 'model_scope' ? v.model_scope_model_id : v.huggingface_repo_id;
  const last = (raw ?? '').split('/').filter(Boolean).pop() ?? '';
  return last.replace(/\.gguf$/i, '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
}
