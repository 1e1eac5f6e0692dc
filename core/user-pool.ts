/** Cognito user pool ids are `<AWS region>_<id>`: the pool's region is read from its id (stacks, runtime). */
export const USER_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$/;

export function userPoolRegion(userPoolId: string): string {
  const match = USER_POOL_ID.exec(userPoolId);
  if (!match) throw new Error(`"${userPoolId}" is not a Cognito user pool id (<region>_<id>)`);
  return match[1];
}
