import { http, resource } from './http';
import type { Schema } from './schema';

export type KeyScope = Schema<'KeyScope'>;
export type ApiKey = Schema<'ApiKeyPublic'>;
/** The answer to create: the only time the full key (`value`) is sent. */
export type ApiKeyCreated = Schema<'ApiKeyCreated'>;
export type ApiKeyCreate = Schema<'ApiKeyCreate'>;
export type ApiKeyUpdate = Schema<'ApiKeyUpdate'>;

const keys = resource<ApiKey, ApiKeyCreate, ApiKeyUpdate>('/v2/api-keys');

export const apiKeysApi = {
  ...keys,
  create: (body: ApiKeyCreate) => http.post<ApiKeyCreated>(keys.path, body),
};
