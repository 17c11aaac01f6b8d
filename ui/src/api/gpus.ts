import { resource } from './http';
import type { GpuMemory } from './workers';

/** One GPU in the cluster (the server declares its list as a free-form object). */
export interface GpuDevice {
  id: string;
  worker_id: number;
  worker_name: string;
  vendor: string;
  name: string;
  index: number;
  memory: GpuMemory;
  core?: { utilization_rate?: number | null } | null;
  temperature?: number | null;
}

export const gpusApi = resource<GpuDevice>('/v2/gpu-devices');
