import { resource } from './http';
import type { Schema } from './schema';

export type User = Schema<'UserPublic'>;
export type UserCreate = Schema<'UserCreate'>;
export type UserUpdate = Schema<'UserUpdate'>;

export const usersApi = resource<User, UserCreate, UserUpdate>('/v2/users');
