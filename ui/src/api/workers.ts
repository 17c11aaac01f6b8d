import { http, resource } from './http';
import type { Schema } from './schema';

export interface GpuMemory {
  total: number;
  used?: number | null;
  allocated?: number | null;
  utilization_rate?: number | null;
}

export interface GpuDeviceStatus {
  vendor: string;
  name: string;
  index: number;
  uuid?: string;
  memory: GpuMemory;
  core?: { utilization_rate?: number | null } | null;
  temperature?: number | null;
}

/** What a worker reports about its machine (the server declares `status` as a free-form object). */
export interface WorkerStatus {
  cpu?: { total: number; utilization_rate: number };
  memory?: { total: number; used: number; utilization_rate: number };
  filesystem?: { path: string; total: number; used: number; available: number }[];
  os?: { name: string; version: string };
  arch?: string;
  gpu_devices?: GpuDeviceStatus[];
}

export type WorkerState = Schema<'WorkerState'>;
export type WorkerUpdate = Schema<'WorkerUpdate'>;

export type Worker = Omit<Schema<'WorkerPublic'>, 'status'> & { status: WorkerStatus | null };

/** What Add Worker shows: the command that joins a machine (the server declares a string map). */
export interface WorkerJoinCommand {
  server_url: string;
  token: string;
  command: string;
}

export const workersApi = {
  ...resource<Worker, never, WorkerUpdate>('/v2/workers'),
  registration: () => http.get<WorkerJoinCommand>('/v2/workers/registration'),
};
