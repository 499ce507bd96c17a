export async function main(_args: string[]): Promise<void> {
  process.stderr.write('chainsync start: not implemented yet\n');
  process.exit(1);
}
