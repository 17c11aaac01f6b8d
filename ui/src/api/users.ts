import { resource } from './http';

export interface User {
  id: number;
  username: string;
  full_name: string | null;
  is_admin: boolean;
  is_active: boolean;
  require_password_change: boolean;
  created_at: string;
  updated_at: string;
}

export interface UserCreate {
  username: string;
  password: string;
  full_name?: string;
  is_admin?: boolean;
  is_active?: boolean;
}

export type UserUpdate = Partial<Pick<User, 'full_name' | 'is_admin' | 'is_active'>> & {
  password?: string;
};

export const usersApi = resource<User, UserCreate, UserUpdate>('/v2/users');
