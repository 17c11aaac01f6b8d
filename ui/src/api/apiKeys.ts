import { resource } from './http';

export type KeyScope = '*' | 'management' | 'inference';

export interface ApiKey {
  id: number;
  name: string;
  description: string | null;
  masked_value: string;
  scope: KeyScope;
  allowed_model_names: string[] | null;
  expires_at: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  tpd_limit: number | null;
  last_used_at: string | null;
  created_at: string;
  updated_at: string;
  /** The full key; present only in the answer to create. */
  value?: string;
}

export interface ApiKeyCreate {
  name: string;
  description?: string;
  expires_in?: number | null;
  scope?: KeyScope;
  allowed_model_names?: string[] | null;
  rpm_limit?: number | null;
  tpm_limit?: number | null;
  tpd_limit?: number | null;
}

export const apiKeysApi = resource<ApiKey, ApiKeyCreate>('/v2/api-keys');
