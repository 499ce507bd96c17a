export async function main(_args: string[]): Promise<void> {
  process.stderr.write('chainsync run: not implemented yet\n');
  process.exit(1);
}
