import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { TOPOLOGY_FILE, type Topology } from '../../core/topology.js';
import { ChatctlCommand } from '../base.js';
import { initTopology } from '../ops/regions.js';
import { color } from '../output.js';

interface InitResult {
  path: string;
  topology: Topology;
}

export default class Init extends ChatctlCommand<typeof Init, InitResult> {
  static override summary = 'Write the default chatctl.json (target sandbox, or aws with --aws).';
  static override description =
    'The default topology has three regions (seoul = ap-northeast-2, tokyo = ap-northeast-1, na = us-west-2) with the China proxy origin in seoul. See README.md for what each field means.';
  static override examples = ['<%= config.bin %> init', '<%= config.bin %> init --aws --force'];
  static override flags = {
    aws: Flags.boolean({ description: 'target AWS instead of the local sandbox' }),
    force: Flags.boolean({ description: 'overwrite an existing chatctl.json' }),
  };

  protected async execute(): Promise<InitResult> {
    // init writes here (or where --config says), even when a parent folder has a chatctl.json.
    const path = this.topologyLocation.explicit ? this.topologyPath : resolve(TOPOLOGY_FILE);
    const { schemaReference } = await import('../../core/topology-schema.js');
    const topology = await initTopology(path, {
      aws: this.flags.aws,
      force: this.flags.force,
      schema: schemaReference(path),
    });
    return { path, topology };
  }

  protected override render(result: InitResult): void {
    this.log(`${color.green('wrote')} ${result.path} (target ${result.topology.target})`);
    this.log(`regions: ${result.topology.regions.map((r) => `${r.key} (${r.awsRegion})`).join(', ')}`);
    if (result.topology.target === 'aws') {
      this.log(
        color.yellow('next: set account, domain and hostedZone in chatctl.json, then run: chatctl synth'),
      );
    } else {
      this.log('next: chatctl sandbox up');
    }
  }
}
