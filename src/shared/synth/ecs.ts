// Writes synthetic events straight into records, shaped the way Elastic Defend fills ECS on Linux
// (event.category/type/action values, process.* and process.parent.*, file.*, source/destination).
// Field ids are resolved once; a field the layout lacks is skipped, so any schema works.
import { RecordBuilder } from '../record/builder.js';
import { IP_BYTES, Tag } from '../record/frame.js';
import type { RecordLayout } from '../record/layout.js';
import type { Host, Proc } from './host.js';

const FIELDS = {
  timestamp: '@timestamp',
  kind: 'event.kind',
  category: 'event.category',
  type: 'event.type',
  action: 'event.action',
  dataset: 'event.dataset',
  module: 'event.module',
  outcome: 'event.outcome',
  agentType: 'agent.type',
  hostId: 'host.id',
  hostName: 'host.name',
  hostHostname: 'host.hostname',
  hostBootId: 'host.boot.id',
  osType: 'host.os.type',
  osFamily: 'host.os.family',
  osName: 'host.os.name',
  osKernel: 'host.os.kernel',
  osPlatform: 'host.os.platform',
  arch: 'host.architecture',
  pid: 'process.pid',
  entityId: 'process.entity_id',
  name: 'process.name',
  executable: 'process.executable',
  args: 'process.args',
  argsCount: 'process.args_count',
  commandLine: 'process.command_line',
  cwd: 'process.working_directory',
  exitCode: 'process.exit_code',
  start: 'process.start',
  procUserId: 'process.user.id',
  procUserName: 'process.user.name',
  procGroupId: 'process.group.id',
  procGroupName: 'process.group.name',
  // Synthetic processes never change credentials: real ids equal the effective ones, as the sensor
  // reports for an ordinary exec (rules compare them to find set-uid escalation).
  realUserId: 'process.real_user.id',
  realUserName: 'process.real_user.name',
  realGroupId: 'process.real_group.id',
  realGroupName: 'process.real_group.name',
  extRealUserId: 'user.Ext.real.id',
  extRealGroupId: 'group.Ext.real.id',
  ppid: 'process.parent.pid',
  parentEntityId: 'process.parent.entity_id',
  parentName: 'process.parent.name',
  parentExecutable: 'process.parent.executable',
  parentArgs: 'process.parent.args',
  parentArgsCount: 'process.parent.args_count',
  parentCommandLine: 'process.parent.command_line',
  parentUserId: 'process.parent.user.id',
  parentUserName: 'process.parent.user.name',
  parentGroupId: 'process.parent.group.id',
  parentGroupName: 'process.parent.group.name',
  userId: 'user.id',
  userName: 'user.name',
  groupId: 'group.id',
  groupName: 'group.name',
  filePath: 'file.path',
  fileName: 'file.name',
  fileExtension: 'file.extension',
  fileDirectory: 'file.directory',
  origPath: 'file.Ext.original.path',
  origName: 'file.Ext.original.name',
  srcIp: 'source.ip',
  srcPort: 'source.port',
  dstIp: 'destination.ip',
  dstPort: 'destination.port',
  transport: 'network.transport',
  netType: 'network.type',
  direction: 'network.direction',
} as const;

type FieldIds = { [K in keyof typeof FIELDS]: number };

export type ProcessAction = 'fork' | 'exec' | 'end';
export type FileAction = 'creation' | 'modification' | 'deletion' | 'rename' | 'open';
export type NetworkAction = 'connection_attempted' | 'connection_accepted';

/** event.type for each file action, as Elastic Defend reports it on Linux. */
const FILE_TYPE: Record<FileAction, string> = { creation: 'creation', modification: 'change', deletion: 'deletion', rename: 'change', open: 'access' };

export class EcsRecordWriter {
  readonly builder: RecordBuilder;
  private readonly f: FieldIds;
  private readonly ip = new Uint8Array(IP_BYTES);

  constructor(layout: RecordLayout) {
    this.builder = new RecordBuilder(layout);
    this.f = Object.fromEntries(Object.entries(FIELDS).map(([k, path]) => [k, layout.fieldId(path)])) as FieldIds;
    this.ip[10] = 0xff;
    this.ip[11] = 0xff;
  }

  /** A process event (fork, exec or end). Returns the record length (in builder.output). */
  process(seq: number, us: number, host: Host, p: Proc, action: ProcessAction, exitCode = 0): number {
    const f = this.f;
    this.begin(seq, us, host, 'process', action === 'end' ? 'end' : 'start', action, 'endpoint.events.process');
    this.processFields(p, true);
    if (action === 'end') this.int(f.exitCode, exitCode);
    this.date(f.start, p.startUs);
    return this.builder.finish();
  }

  file(seq: number, us: number, host: Host, p: Proc, action: FileAction, path: string, originalPath?: string): number {
    const f = this.f;
    this.begin(seq, us, host, 'file', FILE_TYPE[action], action, 'endpoint.events.file');
    this.processFields(p, false);
    this.str(f.filePath, path);
    const slash = path.lastIndexOf('/');
    const name = path.slice(slash + 1);
    this.str(f.fileName, name);
    this.str(f.fileDirectory, slash > 0 ? path.slice(0, slash) : '/');
    const dot = name.lastIndexOf('.');
    if (dot > 0) this.str(f.fileExtension, name.slice(dot + 1));
    if (originalPath !== undefined) {
      this.str(f.origPath, originalPath);
      this.str(f.origName, originalPath.slice(originalPath.lastIndexOf('/') + 1));
    }
    return this.builder.finish();
  }

  /** A TCP connection; `local` is the host side. Outbound for connection_attempted. */
  network(seq: number, us: number, host: Host, p: Proc, action: NetworkAction, remote: readonly number[], remotePort: number, localPort: number): number {
    const f = this.f;
    this.begin(seq, us, host, 'network', 'start', action, 'endpoint.events.network');
    this.processFields(p, false);
    const outbound = action === 'connection_attempted';
    this.ipv4(outbound ? f.srcIp : f.dstIp, host.ip);
    this.int(outbound ? f.srcPort : f.dstPort, localPort);
    this.ipv4(outbound ? f.dstIp : f.srcIp, remote);
    this.int(outbound ? f.dstPort : f.srcPort, remotePort);
    this.str(f.transport, 'tcp');
    this.str(f.netType, 'ipv4');
    this.str(f.direction, outbound ? 'egress' : 'ingress');
    return this.builder.finish();
  }

  private begin(seq: number, us: number, host: Host, category: string, type: string, action: string, dataset: string): void {
    const f = this.f;
    const b = this.builder;
    b.begin(seq);
    this.date(f.timestamp, us);
    this.str(f.kind, 'event');
    this.strArray1(f.category, category);
    this.strArray1(f.type, type);
    this.str(f.action, action);
    this.str(f.dataset, dataset);
    this.str(f.module, 'endpoint');
    this.str(f.agentType, 'endpoint');
    this.str(f.hostId, host.hostId);
    this.str(f.hostName, host.hostname);
    this.str(f.hostHostname, host.hostname);
    this.str(f.hostBootId, host.bootId);
    this.str(f.osType, 'linux');
    this.str(f.osFamily, 'debian');
    this.str(f.osName, 'Debian GNU/Linux');
    this.str(f.osPlatform, 'debian');
    this.str(f.osKernel, host.kernel);
    this.str(f.arch, 'x86_64');
  }

  private processFields(p: Proc, full: boolean): void {
    const f = this.f;
    this.int(f.pid, p.pid);
    this.str(f.entityId, p.entityId);
    this.str(f.name, p.name);
    this.str(f.executable, p.exe);
    this.str(f.userId, p.user.uid);
    this.str(f.userName, p.user.name);
    this.str(f.groupId, p.user.gid);
    this.str(f.groupName, p.user.group);
    if (!full) return;
    this.strArray(f.args, p.args);
    this.int(f.argsCount, p.args.length);
    this.str(f.commandLine, p.commandLine);
    this.str(f.cwd, p.cwd);
    this.str(f.procUserId, p.user.uid);
    this.str(f.procUserName, p.user.name);
    this.str(f.procGroupId, p.user.gid);
    this.str(f.procGroupName, p.user.group);
    this.str(f.realUserId, p.user.uid);
    this.str(f.realUserName, p.user.name);
    this.str(f.realGroupId, p.user.gid);
    this.str(f.realGroupName, p.user.group);
    this.str(f.extRealUserId, p.user.uid);
    this.str(f.extRealGroupId, p.user.gid);
    const parent = p.parent;
    if (parent === undefined) return;
    this.int(f.ppid, parent.pid);
    this.str(f.parentEntityId, parent.entityId);
    this.str(f.parentName, parent.name);
    this.str(f.parentExecutable, parent.exe);
    this.strArray(f.parentArgs, parent.args);
    this.int(f.parentArgsCount, parent.args.length);
    this.str(f.parentCommandLine, parent.commandLine);
    this.str(f.parentUserId, parent.user.uid);
    this.str(f.parentUserName, parent.user.name);
    this.str(f.parentGroupId, parent.user.gid);
    this.str(f.parentGroupName, parent.user.group);
  }

  private str(id: number, s: string): void {
    if (id >= 0) this.builder.setString(id, s);
  }

  private int(id: number, n: number): void {
    if (id >= 0) this.builder.setInt(id, n);
  }

  /** Microseconds since the epoch, rendered with 6 fraction digits. */
  private date(id: number, us: number): void {
    if (id >= 0) this.builder.setDateScaled(id, us, 1000, 0, Tag.dateIso + 6);
  }

  private strArray1(id: number, s: string): void {
    if (id < 0) return;
    this.builder.beginArray(id);
    this.builder.elementString(s);
    this.builder.endArray();
  }

  private strArray(id: number, values: readonly string[]): void {
    if (id >= 0) this.builder.setStringArray(id, values);
  }

  private ipv4(id: number, octets: readonly number[]): void {
    if (id < 0) return;
    const ip = this.ip;
    ip[12] = octets[0]!;
    ip[13] = octets[1]!;
    ip[14] = octets[2]!;
    ip[15] = octets[3]!;
    this.builder.setIp(id, ip);
  }
}
