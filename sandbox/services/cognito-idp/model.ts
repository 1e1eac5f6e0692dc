/** The sandbox Cognito's records: a pool with its signing key, its app clients and its users. */
import type { KeyObject } from 'node:crypto';

export type AuthFlow =
  | 'ALLOW_ADMIN_USER_PASSWORD_AUTH'
  | 'ALLOW_USER_SRP_AUTH'
  | 'ALLOW_USER_PASSWORD_AUTH'
  | 'ALLOW_REFRESH_TOKEN_AUTH'
  | 'ALLOW_CUSTOM_AUTH';

export interface ClientRecord {
  readonly id: string;
  readonly name: string;
  readonly flows: readonly AuthFlow[];
  readonly preventUserExistenceErrors: boolean;
  readonly idTokenSeconds: number;
  readonly accessTokenSeconds: number;
}

export interface UserRecord {
  /** The sub for pools whose usernames are email addresses, else the name given. */
  readonly username: string;
  readonly sub: string;
  readonly attributes: Readonly<Record<string, string>>;
  password: string;
  status: 'FORCE_CHANGE_PASSWORD' | 'CONFIRMED';
  enabled: boolean;
  readonly created: number;
  modified: number;
}

export type ReplicaStatus = 'INACTIVE' | 'ACTIVE';

export interface PoolRecord {
  readonly id: string;
  readonly name: string;
  /** The primary region (the id's prefix). */
  readonly region: string;
  /** IssuerConfiguration: ORIGINAL (cognito-idp.<region>) or UPDATED (issuer-cognito-idp.<primary>). */
  readonly issuer: 'ORIGINAL' | 'UPDATED';
  /** Its secondary replicas by AWS region (AWS allows one): the same users, clients and signing key. */
  readonly replicas: Map<string, ReplicaStatus>;
  readonly kid: string;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  readonly minPasswordLength: number;
  readonly clients: Map<string, ClientRecord>;
  /** By username, or by email address where that is an alias (case-insensitive, as Cognito's default). */
  findUser(name: string): UserRecord | undefined;
  createUser(name: string, attributes: Record<string, string>, temporaryPassword: string): UserRecord;
  deleteUser(user: UserRecord): void;
}
