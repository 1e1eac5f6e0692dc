import { describe, expect, it } from 'vitest';
import {
  addRegionToRunningSandbox,
  removeRegionFromRunningSandbox,
} from '../../../../cli/ops/sandbox/regions.js';

describe('region changes of a running sandbox', () => {
  it('addRegionToRunningSandbox: a no-op when no sandbox runs', async () => {
    const missing = '/nonexistent-chatctl/sandbox.json';
    const spec = { key: 'paris', awsRegion: 'eu-west-3', probeSubnet: '90.0.0.0/24' };
    expect(await addRegionToRunningSandbox(spec, missing)).toMatchObject({ applied: false });
    expect(await removeRegionFromRunningSandbox('paris', missing)).toMatchObject({ applied: false });
  });
});
