// Kernel events → Kestrel records of the ECS Linux layout, straight from the drain buffer: fields
// are read at fixed offsets (kernel-offsets.ts) through one DataView and one Uint8Array over the
// SharedArrayBuffer, strings are found in each event's packed tail by their length fields (never
// past the frame's end) and paths are copied byte for byte into the record, and nothing is allocated per
// event except what the process table must keep (an exec's strings) and a few short id strings.
// The process table is kept current from fork/exec/exit and supplies process.* / process.parent.*
// for every event, including processes that started before Kestrel (seeded from /proc).
// Fields that repeat across records are encoded once into presets (RecordBuilder.capturePreset)
// and copied as a block per record: the host and event class per class, and process.* /
// process.parent.* per process-table entry (entries are replaced on exec, and set*id drops the
// entry's presets, so a preset never outlives what it was made from).
import { basename } from 'node:path';
import { RecordBuilder, type RecordPreset } from '../../shared/record/builder.js';
import { IP_BYTES, Tag } from '../../shared/record/frame.js';
import { formatIp } from '../../shared/record/ip.js';
import type { RecordLayout } from '../../shared/record/layout.js';
import { readUtf8 } from '../../shared/record/utf8.js';
import { FLAGS, FRAME_HEADER_BYTES, frameBytes } from '../../shared/sensor/layout.js';
import { KESTREL_VERSION } from '../../shared/version.js';
import type { BootClock } from './boot-clock.js';
import { capabilityName } from './capabilities.js';
import { ECS_EVENTS, iamEventClass, type EcsEventClass } from './ecs-events.js';
import { accountChangeOf, type AccountChange } from './account-changes.js';
import { parseDnsResponse } from './dns-message.js';
import { entityId } from './entity-id.js';
import type { HostInfo } from './host-info.js';
import {
  ARGS_LEN, CAPSET, COMM_LEN, CRED_IDS, DNS, DNS_LEN, ENV_LEN, EXEC, EXIT, HEADER_LEN, FILE_CHMOD, FILE_CHOWN, FILE_OPEN, FILE_PATH, FILE_RENAME,
  FORK, HDR, KIND, MEMFD, MEMFD_NAME_LEN, MODULE, MODULE_NAME_LEN, NET, PATH_LEN, PTRACE, TTY_LEN,
} from './kernel-offsets.js';
import type { ProcessInfo, ProcessTable } from './process-table.js';

const FIELDS = {
  timestamp: '@timestamp',
  kind: 'event.kind', category: 'event.category', type: 'event.type', action: 'event.action',
  module: 'event.module', dataset: 'event.dataset', outcome: 'event.outcome',
  agentType: 'agent.type', agentVersion: 'agent.version',
  hostId: 'host.id', hostName: 'host.name', hostHostname: 'host.hostname', hostBootId: 'host.boot.id',
  arch: 'host.architecture', osType: 'host.os.type', osKernel: 'host.os.kernel', osName: 'host.os.name',
  osFamily: 'host.os.family', osPlatform: 'host.os.platform', osVersion: 'host.os.version',
  pid: 'process.pid', entityId: 'process.entity_id', name: 'process.name', executable: 'process.executable',
  args: 'process.args', argsCount: 'process.args_count', commandLine: 'process.command_line',
  cmdTruncated: 'process.Ext.command_line_truncated', envVars: 'process.env_vars', headerBytes: 'process.Ext.header_bytes', cwd: 'process.working_directory', start: 'process.start',
  end: 'process.end', exitCode: 'process.exit_code', interactive: 'process.interactive',
  ttyMajor: 'process.tty.char_device.major', ttyMinor: 'process.tty.char_device.minor',
  threadId: 'process.thread.id', threadName: 'process.thread.name',
  capEffective: 'process.thread.capabilities.effective', capPermitted: 'process.thread.capabilities.permitted',
  procUserId: 'process.user.id', procUserName: 'process.user.name',
  procGroupId: 'process.group.id', procGroupName: 'process.group.name',
  realUserId: 'process.real_user.id', realUserName: 'process.real_user.name',
  realGroupId: 'process.real_group.id', realGroupName: 'process.real_group.name',
  extRealUserId: 'user.Ext.real.id', extRealUserName: 'user.Ext.real.name',
  extRealGroupId: 'group.Ext.real.id', extRealGroupName: 'group.Ext.real.name',
  savedUserId: 'process.saved_user.id', savedUserName: 'process.saved_user.name',
  savedGroupId: 'process.saved_group.id', savedGroupName: 'process.saved_group.name',
  ppid: 'process.parent.pid', parentEntityId: 'process.parent.entity_id', parentName: 'process.parent.name',
  parentExecutable: 'process.parent.executable', parentArgs: 'process.parent.args',
  parentArgsCount: 'process.parent.args_count', parentCommandLine: 'process.parent.command_line',
  parentCwd: 'process.parent.working_directory', parentStart: 'process.parent.start',
  parentUserId: 'process.parent.user.id', parentUserName: 'process.parent.user.name',
  parentGroupId: 'process.parent.group.id', parentGroupName: 'process.parent.group.name',
  ptraceRequest: 'process.Ext.ptrace.request', ptraceChild: 'process.Ext.ptrace.child_pid',
  memfdName: 'process.Ext.memfd.name', memfdFlags: 'process.Ext.memfd.flags',
  memfdCloexec: 'process.Ext.memfd.flag_cloexec', memfdAllowSeal: 'process.Ext.memfd.flag_allow_seal',
  memfdHugetlb: 'process.Ext.memfd.flag_hugetlb', memfdNoexecSeal: 'process.Ext.memfd.flag_noexec_seal',
  memfdExec: 'process.Ext.memfd.flag_exec',
  moduleName: 'process.Ext.load_module.name',
  userId: 'user.id', userName: 'user.name', groupId: 'group.id', groupName: 'group.name',
  filePath: 'file.path', fileName: 'file.name', fileExtension: 'file.extension', fileDirectory: 'file.directory',
  fileTargetPath: 'file.target_path', fileMode: 'file.mode', fileUid: 'file.uid', fileGid: 'file.gid',
  fileOwner: 'file.owner', fileGroup: 'file.group',
  fileTruncated: 'file.Ext.truncated',
  targetUserName: 'user.target.name',
  origPath: 'file.Ext.original.path', origName: 'file.Ext.original.name', origExtension: 'file.Ext.original.extension',
  srcIp: 'source.ip', srcPort: 'source.port', srcAddress: 'source.address',
  dstIp: 'destination.ip', dstPort: 'destination.port', dstAddress: 'destination.address',
  transport: 'network.transport', netType: 'network.type', direction: 'network.direction', iana: 'network.iana_number',
  netProtocol: 'network.protocol', dnsQuestionName: 'dns.question.name', dnsQuestionType: 'dns.question.type',
  dnsQuestionClass: 'dns.question.class', dnsResponseCode: 'dns.response_code', dnsId: 'dns.id', dnsType: 'dns.type',
  dnsResolvedIp: 'dns.resolved_ip', dnsAnswersName: 'dns.answers.name', dnsAnswersType: 'dns.answers.type', dnsAnswersData: 'dns.answers.data',
} as const;

type FieldIds = { [K in keyof typeof FIELDS]: number };

const FMODE_WRITE = 0x2;
const FMODE_CREATED = 1 << 20;
const EXEC_TRUNCATED_ARGS = FLAGS.KESTREL_F_TRUNC_ARGS!;
/** The executable has no name in any directory: a deleted binary or a memfd. */
const EXEC_UNLINKED = FLAGS.KESTREL_F_EXE_UNLINKED!;
/** The open carried O_TRUNC (or was creat): whatever the file held is gone. */
const OPEN_TRUNCATED = FLAGS.KESTREL_F_OPEN_TRUNC!;
const AF_INET = 2;

/** An account tool's exit, waiting to be followed by its iam record (see convertBatch). */
interface PendingAccountChange {
  at: number;
  p: ProcessInfo;
  change: AccountChange;
  success: boolean;
}
const UNCHANGED_ID = 0xffffffff;
const MFD = { cloexec: 1, allowSealing: 2, hugetlb: 4, noexecSeal: 8, exec: 0x10 } as const;
const TRANSPORT: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp', 132: 'sctp' };
const SOCK_TRANSPORT: Readonly<Record<number, string>> = { 1: 'tcp', 2: 'udp' };
/** Which preset of a table entry: as the acting process or as a parent, with or without the
 * process-category extras (working directory, tty, parent args). */
const ENTITY_PRESET = { processFull: 0, parentFull: 1, process: 2, parent: 3 } as const;
/** Sweep exited processes from the table at most this often (event time). */
const SWEEP_EVERY_MS = 1000;

export interface KernelRecordConverterOptions {
  layout: RecordLayout;
  table: ProcessTable;
  host: HostInfo;
  clock: BootClock;
  /** seq of the first record (default 0); every record gets the next one. */
  firstSeq?: number;
  /** Environment variables kept in process.env_vars (the rest of an exec's environment is dropped). */
  envNames?: Iterable<string>;
}

/** Receives a finished record: bytes [0, length) of `record` (reused for the next record). */
export type RecordSink = (record: Uint8Array, length: number) => void;

export class KernelRecordConverter {
  readonly builder: RecordBuilder;
  /** seq the next record gets. */
  nextSeq: number;
  /** Records emitted per kind of ECS event. */
  readonly recordsByClass = new Map<EcsEventClass, number>();
  /** Events skipped because their kind id is unknown to this build. */
  unknownKinds = 0;

  private readonly f: FieldIds;
  /** Builds presets; the field helpers write to `target`, normally the record builder. */
  private readonly presetBuilder: RecordBuilder;
  private target: RecordBuilder;
  private readonly classPresets = new Map<EcsEventClass, RecordPreset>();
  /** Per table entry, indexed by ENTITY_PRESET. */
  private entityPresets = new WeakMap<ProcessInfo, Array<RecordPreset | undefined>>();
  private usersVersion: number;
  /** process.env_vars names, and their lengths (most entries are rejected on length alone). */
  private envNames: ReadonlySet<string> = new Set();
  private envNameLengths: ReadonlySet<number> = new Set();
  private readonly table: ProcessTable;
  private readonly host: HostInfo;
  private readonly clock: BootClock;
  private readonly ip = new Uint8Array(IP_BYTES);
  private readonly commandLines = new WeakMap<string[], string>();
  private lastSweepMs = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(new ArrayBuffer(0));
  /** End of the event being converted (its frame's length): no tail part is read past it. */
  private end = 0;

  constructor(o: KernelRecordConverterOptions) {
    this.builder = new RecordBuilder(o.layout);
    this.presetBuilder = new RecordBuilder(o.layout);
    this.target = this.builder;
    this.f = Object.fromEntries(Object.entries(FIELDS).map(([k, path]) => [k, o.layout.fieldId(path)])) as FieldIds;
    this.table = o.table;
    this.host = o.host;
    this.clock = o.clock;
    this.nextSeq = o.firstSeq ?? 0;
    this.usersVersion = this.table.users.version;
    this.setEnvNames(o.envNames ?? []);
  }

  /** The environment variables kept in process.env_vars from now on. */
  setEnvNames(names: Iterable<string>): void {
    this.envNames = new Set(names);
    this.envNameLengths = new Set([...this.envNames].map((n) => n.length));
  }

  /**
   * Converts every frame of a drained batch (view[0, end), as Sensor hands it over) and passes
   * each record to sink. Returns the number of records.
   */
  convertBatch(view: DataView, end: number, sink: RecordSink): number {
    let n = 0;
    for (let at = 0; at < end; ) {
      const length = view.getUint32(at, true);
      const record = this.convert(view, at + FRAME_HEADER_BYTES, length);
      if (record > 0) {
        sink(this.builder.output, record);
        n++;
      }
      // An account tool's exit also yields the iam event it stands for (account-changes.ts).
      const iam = this.pendingAccountChange;
      if (iam !== undefined) {
        this.pendingAccountChange = undefined;
        sink(this.builder.output, this.accountChange(iam));
        n++;
      }
      at += frameBytes(length);
    }
    return n;
  }

  /**
   * Converts the kernel event at `offset` of `view`, `length` bytes long (its frame's length).
   * Returns the record's length (the record is builder.output[0, length)), or 0 when the event
   * makes no record.
   */
  convert(view: DataView, offset: number, length: number): number {
    if (view !== this.view) {
      this.view = view;
      this.bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    }
    this.end = Math.min(offset + length, view.byteLength);
    const kind = view.getUint32(offset + HDR.kind, true);
    switch (kind) {
      case KIND.exec: return this.exec(offset);
      case KIND.fork: return this.fork(offset);
      case KIND.exit: return this.exit(offset);
      case KIND.fileOpen: {
        // Read-only opens reach user space only for watched names (the sensor's read watch list).
        if ((view.getUint32(offset + FILE_OPEN.fmode, true) & FMODE_WRITE) === 0) return this.file(offset, ECS_EVENTS.open, offset + FILE_OPEN.tail, FILE_OPEN.path_len);
        const created = (view.getUint32(offset + FILE_OPEN.fmode, true) & FMODE_CREATED) !== 0;
        // A truncating open of an existing file stays a "modification" (so rules written for Elastic
        // Defend still see it) and says so in file.Ext.truncated; a new file has nothing to lose.
        const truncated = !created && (view.getUint32(offset + HDR.flags, true) & OPEN_TRUNCATED) !== 0;
        return this.file(offset, created ? ECS_EVENTS.creation : ECS_EVENTS.modification, offset + FILE_OPEN.tail, FILE_OPEN.path_len, truncated);
      }
      case KIND.fileUnlink: return this.file(offset, ECS_EVENTS.deletion, offset + FILE_PATH.tail, FILE_PATH.path_len);
      case KIND.fileRename: return this.rename(offset);
      case KIND.fileChmod: return this.chmod(offset);
      case KIND.fileChown: return this.chown(offset);
      case KIND.netConnect: return this.net(offset, ECS_EVENTS.connect, 'egress');
      case KIND.netAccept: return this.net(offset, ECS_EVENTS.accept, 'ingress');
      case KIND.netBind: return this.net(offset, ECS_EVENTS.bind, undefined);
      case KIND.netListen: return this.net(offset, ECS_EVENTS.listen, undefined);
      case KIND.setuid: return this.setid(offset, true);
      case KIND.setgid: return this.setid(offset, false);
      case KIND.capset: return this.capset(offset);
      case KIND.ptrace: return this.ptrace(offset);
      case KIND.memfd: return this.memfd(offset);
      case KIND.moduleLoad: return this.moduleLoad(offset);
      case KIND.dns: return this.dns(offset);
      default:
        this.unknownKinds++;
        return 0;
    }
  }

  // ---- process events ----------------------------------------------------------------------------

  private exec(at: number): number {
    const v = this.view;
    const b = this.bytes;
    const f = this.f;
    const startTicks = ticksOf(v, at + HDR.start_time);
    // The tail: filename, exe, cwd, tty, args (kernel-offsets.ts checks this order).
    const filenameLen = this.partLength(at + EXEC.tail, v.getUint16(at + EXEC.filename_len, true), PATH_LEN);
    const exeAt = at + EXEC.tail + filenameLen;
    const exeLen = this.partLength(exeAt, v.getUint16(at + EXEC.exe_len, true), PATH_LEN);
    const cwdAt = exeAt + exeLen;
    const cwdLen = this.partLength(cwdAt, v.getUint16(at + EXEC.cwd_len, true), PATH_LEN);
    const ttyAt = cwdAt + cwdLen;
    const argsAt = ttyAt + this.partLength(ttyAt, v.getUint16(at + EXEC.tty_len, true), TTY_LEN);
    const argsLen = this.partLength(argsAt, v.getUint32(at + EXEC.args_len, true), ARGS_LEN);
    const args = splitArgs(b, argsAt, argsLen);
    // What the kernel reports (/proc/PID/exe): a deleted binary or a memfd ("/memfd:NAME") gets
    // " (deleted)", and its process name is the comm (the basename of a path that is gone, or of
    // "/memfd:…", would not name what ran).
    const unlinked = (v.getUint32(at + HDR.flags, true) & EXEC_UNLINKED) !== 0;
    const exePath = readCString(b, exeAt, exeLen);
    const exe = unlinked && exePath ? `${exePath} (deleted)` : exePath;
    const ttyDev = v.getUint32(at + EXEC.tty_dev, true);
    const tgid = v.getUint32(at + HDR.tgid, true);
    const euid = v.getUint32(at + HDR.euid, true);
    const egid = v.getUint32(at + EXEC.egid, true);
    const p = this.table.onExec(tgid, {
      startTicks,
      ppid: v.getUint32(at + HDR.ppid, true),
      executable: exe,
      name: exe && !unlinked ? basename(exe) : readCString(b, at + HDR.comm, COMM_LEN),
      args,
      workingDirectory: readCString(b, cwdAt, cwdLen),
      uid: v.getUint32(at + HDR.uid, true),
      gid: v.getUint32(at + HDR.gid, true),
      euid,
      egid,
      // exec sets the saved and filesystem ids to the effective ones.
      suid: euid,
      fsuid: euid,
      sgid: egid,
      fsgid: egid,
      capEffective: capsOf(v, at + EXEC.cap_effective),
      capPermitted: capsOf(v, at + EXEC.cap_permitted),
      capInheritable: capsOf(v, at + EXEC.cap_inheritable),
      sessionId: v.getUint32(at + EXEC.sid, true),
      tty: ttyDev === 0 ? 0 : ttyNrOfDev(ttyDev),
      exitedAtMs: undefined,
    });
    this.begin(at, ECS_EVENTS.exec);
    this.processFields(at, p, true);
    // argc counts every argument, also those past the capture bound.
    this.int(f.argsCount, v.getUint32(at + EXEC.argc, true));
    if ((v.getUint32(at + HDR.flags, true) & EXEC_TRUNCATED_ARGS) !== 0) this.bool(f.cmdTruncated, true);
    const envAt = argsAt + argsLen;
    const envLen = this.partLength(envAt, v.getUint32(at + EXEC.env_len, true), ENV_LEN);
    if (envLen > 0 && this.envNames.size > 0) {
      const kept = this.keptEnv(envAt, envLen);
      if (kept.length > 0) this.strArray(f.envVars, kept);
    }
    const headerAt = envAt + envLen;
    const headerLen = this.partLength(headerAt, v.getUint32(at + EXEC.header_len, true), HEADER_LEN);
    if (headerLen > 0) this.str(f.headerBytes, hexOf(b, headerAt, headerLen));
    this.parentFields(p.ppid, true);
    return this.builder.finish();
  }

  /** The NAME=value strings of an exec's environment whose NAME is configured. Names are compared
   * as bytes (ASCII), so entries that are not kept cost no string decoding. */
  private keptEnv(at: number, length: number): string[] {
    const b = this.bytes;
    const kept: string[] = [];
    const end = at + length;
    for (let start = at; start < end; ) {
      let eq = -1;
      let i = start;
      for (; i < end && b[i] !== 0; i++) if (eq < 0 && b[i] === 0x3d) eq = i;
      if (eq > start && this.envNameLengths.has(eq - start) && this.envNames.has(latin1(b, start, eq))) kept.push(readUtf8(b, start, i));
      start = i + 1;
    }
    return kept;
  }

  /**
   * The process-table snapshot: one `already_running` record per process alive when the sensor
   * started (seeded from /proc), parents first, all at `nowUs`. Lineage is built from them as from
   * starts, so processes older than Kestrel have ancestry; a recording holds them first, so a replay
   * knows the same tree. Returns the number of records.
   */
  snapshot(nowUs: number, sink: RecordSink): number {
    const f = this.f;
    const procs = this.table.entries().sort((a, b) => a.startTicks - b.startTicks || a.pid - b.pid);
    const cls = ECS_EVENTS.alreadyRunning;
    let n = 0;
    for (const p of procs) {
      this.builder.begin(this.nextSeq++);
      this.recordsByClass.set(cls, (this.recordsByClass.get(cls) ?? 0) + 1);
      this.date(f.timestamp, nowUs, 0);
      let preset = this.classPresets.get(cls);
      if (preset === undefined) {
        preset = this.makePreset(() => this.classFields(cls));
        this.classPresets.set(cls, preset);
      }
      this.builder.applyPreset(preset);
      this.processFields(-1, p, true);
      // process.start from /proc's start ticks (boot time, clock-tick resolution).
      const startNs = BigInt(p.startTicks) * 10_000_000n;
      this.clock.convert(Number(startNs & 0xffffffffn), Number(startNs >> 32n));
      this.date(f.start, this.clock.us, this.clock.ns);
      this.parentFields(p.ppid, true);
      // finish() may grow the output buffer: read it after.
      const length = this.builder.finish();
      sink(this.builder.output, length);
      n++;
    }
    return n;
  }

  private fork(at: number): number {
    const v = this.view;
    const parent = this.resolve(at);
    const childStartAt = at + FORK.child_start_time;
    const child = this.table.onFork(parent.pid, v.getUint32(at + FORK.child_pid, true), ticksOf(v, childStartAt));
    this.begin(at, ECS_EVENTS.fork);
    this.processFields(-1, child, true);
    // The header's start time is the parent's: the child's comes from the event body.
    this.clock.convert(v.getUint32(childStartAt, true), v.getUint32(childStartAt + 4, true));
    this.date(this.f.start, this.clock.us, this.clock.ns);
    this.int(this.f.threadId, child.pid);
    this.parentFields(parent.pid, true);
    return this.builder.finish();
  }

  private pendingAccountChange: PendingAccountChange | undefined;

  private exit(at: number): number {
    const v = this.view;
    const p = this.resolve(at);
    this.begin(at, ECS_EVENTS.end);
    this.processFields(at, p, true);
    const status = v.getUint32(at + EXIT.exit_code, true);
    const signal = status & 0x7f;
    // Shell convention: a process killed by signal N ends with 128 + N.
    this.int(this.f.exitCode, signal !== 0 ? 128 + signal : (status >> 8) & 0xff);
    this.date(this.f.end, this.clock.us, this.clock.ns);
    this.parentFields(p.ppid, true);
    const length = this.builder.finish();
    // A child the tool forks (to run nscd or sss_cache) carries the tool's name and arguments until
    // it execs, and exits non-zero when that exec fails: only the tool's own run counts.
    const change = accountChangeOf(p.name, p.args);
    if (change && this.table.get(p.ppid)?.name !== p.name) this.pendingAccountChange = { at, p, change, success: status === 0 };
    this.table.onExit(p.pid, Math.floor(this.clock.us / 1000));
    return length;
  }

  /**
   * The iam record for an account tool that just exited: the tool as process.*, its user as
   * process.user.*, the account it acted on as user.name and user.target.name (or group.name).
   */
  private accountChange(c: PendingAccountChange): number {
    const f = this.f;
    const { at, p, change } = c;
    this.begin(at, iamEventClass(change.kind, change.type, change.action, c.success));
    // Not processFields: its user.* / group.* are the actor's, and here they name the account.
    this.processIdentity(p);
    this.userPair(f.procUserId, f.procUserName, p.euid);
    this.groupPair(f.procGroupId, f.procGroupName, p.egid);
    this.parentFields(p.ppid, false);
    if (change.target !== undefined) {
      if (change.kind === 'user') {
        this.str(f.userName, change.target);
        this.str(f.targetUserName, change.target);
      } else this.str(f.groupName, change.target);
    }
    return this.builder.finish();
  }

  /**
   * set*uid / set*gid. The kernel sends the ids after the change; the ones before are the process
   * table's (kept from /proc, exec and earlier changes), sent as extra JSON — a field the table
   * does not know is left out rather than guessed.
   */
  private setid(at: number, uids: boolean): number {
    const v = this.view;
    const f = this.f;
    const p = this.resolve(at);
    const prevJson = uids
      ? `{"kestrel":{"previous_user":${idsJson(p.uid, p.euid, p.suid, p.fsuid)}}}`
      : `{"kestrel":{"previous_group":${idsJson(p.gid, p.egid, p.sgid, p.fsgid)}}}`;
    const real = v.getUint32(at + CRED_IDS.new_real, true);
    const effective = v.getUint32(at + CRED_IDS.new_effective, true);
    const saved = v.getUint32(at + CRED_IDS.new_saved, true);
    const fs = v.getUint32(at + CRED_IDS.new_fs, true);
    if (uids) {
      p.uid = real;
      p.euid = effective;
      p.suid = saved;
      p.fsuid = fs;
    } else {
      p.gid = real;
      p.egid = effective;
      p.sgid = saved;
      p.fsgid = fs;
    }
    this.entityPresets.delete(p);
    // A uid change may also have cleared or raised the capability sets.
    p.capEffective = capsOf(v, at + CRED_IDS.cap_effective);
    p.capPermitted = capsOf(v, at + CRED_IDS.cap_permitted);
    p.capInheritable = capsOf(v, at + CRED_IDS.cap_inheritable);
    this.begin(at, uids ? ECS_EVENTS.uidChange : ECS_EVENTS.gidChange);
    this.processFields(at, p, true);
    if (uids) {
      this.userPair(f.savedUserId, f.savedUserName, saved);
    } else {
      this.groupPair(f.savedGroupId, f.savedGroupName, saved);
    }
    this.parentFields(p.ppid, true);
    this.builder.setExtraJson(prevJson);
    return this.builder.finish();
  }

  /** capset: the new sets from the kernel, the previous ones from the table (as for setid). */
  private capset(at: number): number {
    const f = this.f;
    const v = this.view;
    const p = this.resolve(at);
    const previous = capsJson(p.capEffective, p.capPermitted, p.capInheritable);
    p.capEffective = capsOf(v, at + CAPSET.new_effective);
    p.capPermitted = capsOf(v, at + CAPSET.new_permitted);
    p.capInheritable = capsOf(v, at + CAPSET.new_inheritable);
    this.begin(at, ECS_EVENTS.capset);
    this.processFields(at, p, true);
    this.capabilities(f.capEffective, at + CAPSET.new_effective);
    this.capabilities(f.capPermitted, at + CAPSET.new_permitted);
    this.parentFields(p.ppid, true);
    this.builder.setExtraJson(`{"kestrel":{"previous_capabilities":${previous},"inheritable":"0x${p.capInheritable.toString(16)}"}}`);
    return this.builder.finish();
  }

  private ptrace(at: number): number {
    const v = this.view;
    const p = this.resolve(at);
    this.begin(at, ECS_EVENTS.ptrace);
    this.processFields(at, p, true);
    this.int(this.f.ptraceRequest, v.getUint32(at + PTRACE.request, true));
    this.int(this.f.ptraceChild, v.getUint32(at + PTRACE.target_pid, true));
    this.parentFields(p.ppid, true);
    return this.builder.finish();
  }

  private memfd(at: number): number {
    const f = this.f;
    const p = this.resolve(at);
    this.begin(at, ECS_EVENTS.memfd);
    this.processFields(at, p, true);
    const nameAt = at + MEMFD.tail;
    this.cstr(f.memfdName, nameAt, this.partLength(nameAt, this.view.getUint32(at + MEMFD.name_len, true), MEMFD_NAME_LEN));
    const flags = this.view.getUint32(at + MEMFD.mfd_flags, true);
    this.int(f.memfdFlags, flags);
    this.bool(f.memfdCloexec, (flags & MFD.cloexec) !== 0);
    this.bool(f.memfdAllowSeal, (flags & MFD.allowSealing) !== 0);
    this.bool(f.memfdHugetlb, (flags & MFD.hugetlb) !== 0);
    this.bool(f.memfdNoexecSeal, (flags & MFD.noexecSeal) !== 0);
    this.bool(f.memfdExec, (flags & MFD.exec) !== 0);
    this.parentFields(p.ppid, true);
    return this.builder.finish();
  }

  private moduleLoad(at: number): number {
    const p = this.resolve(at);
    this.begin(at, ECS_EVENTS.loadModule);
    this.processFields(at, p, true);
    this.cstr(this.f.moduleName, at + MODULE.name, MODULE_NAME_LEN);
    this.parentFields(p.ppid, true);
    return this.builder.finish();
  }

  // ---- file events -------------------------------------------------------------------------------

  /** A file event with one path: the tail at `pathAt`, its byte count at `at + lengthOffset`. */
  private file(at: number, cls: EcsEventClass, pathAt: number, lengthOffset: number, truncated = false): number {
    const p = this.resolve(at);
    this.begin(at, cls);
    this.processFields(at, p, false);
    this.parentFields(p.ppid, false);
    this.pathFields(pathAt, this.pathLength(pathAt, at + lengthOffset), this.f.filePath, this.f.fileName, this.f.fileDirectory, this.f.fileExtension);
    if (truncated) this.bool(this.f.fileTruncated, true);
    return this.builder.finish();
  }

  private rename(at: number): number {
    const f = this.f;
    const p = this.resolve(at);
    this.begin(at, ECS_EVENTS.rename);
    this.processFields(at, p, false);
    this.parentFields(p.ppid, false);
    const v = this.view;
    const oldAt = at + FILE_RENAME.tail;
    const oldLen = this.partLength(oldAt, v.getUint16(at + FILE_RENAME.old_path_len, true), PATH_LEN);
    const newAt = oldAt + oldLen;
    const newLen = this.partLength(newAt, v.getUint16(at + FILE_RENAME.new_path_len, true), PATH_LEN);
    this.pathFields(newAt, newLen, f.filePath, f.fileName, f.fileDirectory, f.fileExtension);
    this.cstr(f.fileTargetPath, newAt, newLen);
    this.pathFields(oldAt, oldLen, f.origPath, f.origName, -1, f.origExtension);
    return this.builder.finish();
  }

  private chmod(at: number): number {
    const p = this.resolve(at);
    this.begin(at, ECS_EVENTS.chmod);
    this.processFields(at, p, false);
    this.parentFields(p.ppid, false);
    const pathAt = at + FILE_CHMOD.tail;
    this.pathFields(pathAt, this.pathLength(pathAt, at + FILE_CHMOD.path_len), this.f.filePath, this.f.fileName, this.f.fileDirectory, this.f.fileExtension);
    // ECS file.mode: the permission bits in octal, "0640".
    this.str(this.f.fileMode, (this.view.getUint32(at + FILE_CHMOD.mode, true) & 0o7777).toString(8).padStart(4, '0'));
    return this.builder.finish();
  }

  private chown(at: number): number {
    const v = this.view;
    const f = this.f;
    const p = this.resolve(at);
    this.begin(at, ECS_EVENTS.chown);
    this.processFields(at, p, false);
    this.parentFields(p.ppid, false);
    const pathAt = at + FILE_CHOWN.tail;
    this.pathFields(pathAt, this.pathLength(pathAt, at + FILE_CHOWN.path_len), f.filePath, f.fileName, f.fileDirectory, f.fileExtension);
    const uid = v.getUint32(at + FILE_CHOWN.new_uid, true);
    const gid = v.getUint32(at + FILE_CHOWN.new_gid, true);
    if (uid !== UNCHANGED_ID) this.userPair(f.fileUid, f.fileOwner, uid);
    if (gid !== UNCHANGED_ID) this.groupPair(f.fileGid, f.fileGroup, gid);
    return this.builder.finish();
  }

  // ---- network events ----------------------------------------------------------------------------

  /** `direction` undefined: bind/listen, which have only the local side (in source.*). */
  private net(at: number, cls: EcsEventClass, direction: 'egress' | 'ingress' | undefined): number {
    const v = this.view;
    const f = this.f;
    const p = this.resolve(at);
    this.begin(at, cls);
    this.processFields(at, p, false);
    this.parentFields(p.ppid, false);
    const family = v.getUint16(at + NET.family, true);
    const localPort = v.getUint16(at + NET.local_port, true);
    const remotePort = v.getUint16(at + NET.remote_port, true);
    // Outbound: we are the source. Inbound: the peer is the source, we are the destination.
    const inbound = direction === 'ingress';
    this.endpoint(family, at + NET.local_addr, localPort, inbound ? f.dstIp : f.srcIp, inbound ? f.dstPort : f.srcPort, inbound ? f.dstAddress : f.srcAddress);
    if (direction !== undefined) {
      this.endpoint(family, at + NET.remote_addr, remotePort, inbound ? f.srcIp : f.dstIp, inbound ? f.srcPort : f.dstPort, inbound ? f.srcAddress : f.dstAddress);
      this.str(f.direction, direction);
    }
    const protocol = v.getUint16(at + NET.protocol, true);
    const transport = TRANSPORT[protocol] ?? SOCK_TRANSPORT[v.getUint16(at + NET.sock_type, true)];
    if (transport !== undefined) this.str(f.transport, transport);
    if (protocol !== 0) this.str(f.iana, String(protocol));
    this.str(f.netType, family === AF_INET ? 'ipv4' : 'ipv6');
    return this.builder.finish();
  }

  /** A DNS response: dns.* from the message; the server is the source, this process the destination. */
  private dns(at: number): number {
    const v = this.view;
    const f = this.f;
    const payloadAt = at + DNS.tail;
    const length = this.partLength(payloadAt, v.getUint16(at + DNS.payload_len, true), DNS_LEN);
    const msg = parseDnsResponse(this.bytes, payloadAt, length);
    if (!msg) return 0; // not a response, or too broken to name its question: no record
    const p = this.resolve(at);
    this.begin(at, ECS_EVENTS.dnsLookup);
    this.processFields(at, p, false);
    this.parentFields(p.ppid, false);
    const family = v.getUint16(at + DNS.family, true);
    this.endpoint(family, at + DNS.remote_addr, v.getUint16(at + DNS.remote_port, true), f.srcIp, f.srcPort, f.srcAddress);
    this.endpoint(family, at + DNS.local_addr, v.getUint16(at + DNS.local_port, true), f.dstIp, f.dstPort, f.dstAddress);
    this.str(f.transport, 'udp');
    this.str(f.iana, '17');
    this.str(f.netType, family === AF_INET ? 'ipv4' : 'ipv6');
    this.str(f.direction, 'ingress');
    this.str(f.netProtocol, 'dns');
    this.str(f.dnsType, 'answer');
    this.str(f.dnsId, String(msg.id));
    this.str(f.dnsResponseCode, msg.responseCode);
    this.str(f.dnsQuestionName, msg.questionName);
    this.str(f.dnsQuestionType, msg.questionType);
    this.str(f.dnsQuestionClass, msg.questionClass);
    if (msg.answers.length) {
      this.strArray(f.dnsAnswersName, msg.answers.map((a) => a.name));
      this.strArray(f.dnsAnswersType, msg.answers.map((a) => a.type));
      const data = msg.answers.flatMap((a) => (a.data === undefined ? [] : [a.data]));
      if (data.length) this.strArray(f.dnsAnswersData, data);
    }
    if (msg.resolvedIps.length && f.dnsResolvedIp >= 0) {
      this.target.beginArray(f.dnsResolvedIp);
      for (const ip of msg.resolvedIps) this.target.elementIp(ip);
      this.target.endArray();
    }
    return this.builder.finish();
  }

  private endpoint(family: number, addrAt: number, port: number, ipId: number, portId: number, addressId: number): void {
    const ip = this.ip;
    const b = this.bytes;
    if (family === AF_INET) {
      ip.fill(0, 0, 10);
      ip[10] = 0xff;
      ip[11] = 0xff;
      for (let i = 0; i < 4; i++) ip[12 + i] = b[addrAt + i]!;
    } else {
      for (let i = 0; i < IP_BYTES; i++) ip[i] = b[addrAt + i]!;
    }
    if (ipId >= 0) this.target.setIp(ipId, ip);
    this.int(portId, port);
    this.str(addressId, formatIp(ip, 0));
  }

  // ---- common fields -----------------------------------------------------------------------------

  /**
   * The table entry of the event's process (header tgid + start time). Rebuilt from /proc, or
   * failing that from the header, when the table has none or an older process under that pid
   * (missed events, pid reuse).
   */
  private resolve(at: number): ProcessInfo {
    const v = this.view;
    const tgid = v.getUint32(at + HDR.tgid, true);
    const startTicks = ticksOf(v, at + HDR.start_time);
    const known = this.table.get(tgid);
    if (known && known.startTicks === startTicks) return known;
    const fromProc = this.table.readProc(tgid);
    const p: ProcessInfo =
      fromProc && fromProc.startTicks === startTicks
        ? fromProc
        : {
            pid: tgid,
            ppid: v.getUint32(at + HDR.ppid, true),
            startTicks,
            entityId: entityId(this.table.bootId, tgid, startTicks),
            name: readCString(this.bytes, at + HDR.comm, COMM_LEN),
            executable: '',
            args: [],
            uid: v.getUint32(at + HDR.uid, true),
            gid: v.getUint32(at + HDR.gid, true),
            euid: v.getUint32(at + HDR.euid, true),
            egid: v.getUint32(at + HDR.gid, true),
          };
    this.table.set(p);
    return p;
  }

  private begin(at: number, cls: EcsEventClass): void {
    const f = this.f;
    const v = this.view;
    this.builder.begin(this.nextSeq++);
    this.recordsByClass.set(cls, (this.recordsByClass.get(cls) ?? 0) + 1);
    this.clock.convert(v.getUint32(at + HDR.time_ns, true), v.getUint32(at + HDR.time_ns + 4, true));
    this.date(f.timestamp, this.clock.us, this.clock.ns);
    this.maybeSweep(this.clock.us);
    let preset = this.classPresets.get(cls);
    if (preset === undefined) {
      preset = this.makePreset(() => this.classFields(cls));
      this.classPresets.set(cls, preset);
    }
    this.builder.applyPreset(preset);
  }

  /** event.* and host.*: the same for every record of an event class. */
  private classFields(cls: EcsEventClass): void {
    const f = this.f;
    const h = this.host;
    this.str(f.kind, 'event');
    this.strArray(f.category, cls.category);
    this.strArray(f.type, cls.type);
    this.str(f.action, cls.action);
    this.str(f.module, 'kestrel');
    this.str(f.dataset, cls.dataset);
    this.str(f.outcome, cls.outcome ?? 'success');
    this.str(f.agentType, 'kestrel');
    this.str(f.agentVersion, KESTREL_VERSION);
    if (h.id) this.str(f.hostId, h.id);
    this.str(f.hostName, h.hostname);
    this.str(f.hostHostname, h.hostname);
    this.str(f.hostBootId, h.bootId);
    this.str(f.arch, h.architecture);
    this.str(f.osType, 'linux');
    this.str(f.osKernel, h.kernel);
    if (h.osName) this.str(f.osName, h.osName);
    if (h.osFamily) this.str(f.osFamily, h.osFamily);
    if (h.osPlatform) this.str(f.osPlatform, h.osPlatform);
    if (h.osVersion) this.str(f.osVersion, h.osVersion);
  }

  /** Runs `fields` against the preset builder and captures what they set. */
  private makePreset(fields: () => void): RecordPreset {
    const builder = this.presetBuilder;
    builder.begin(0);
    this.target = builder;
    try {
      fields();
    } finally {
      this.target = this.builder;
    }
    return builder.capturePreset();
  }

  /** The preset `slot` (ENTITY_PRESET) of a table entry, made by `fields` on first use. */
  private entityPreset(p: ProcessInfo, slot: number, fields: () => void): RecordPreset {
    let presets = this.entityPresets.get(p);
    if (presets === undefined) {
      presets = [undefined, undefined, undefined, undefined];
      this.entityPresets.set(p, presets);
    }
    return (presets[slot] ??= this.makePreset(fields));
  }

  /**
   * process.* from the table entry; `at` ≥ 0 adds the acting thread and the exact start time from
   * the event header. `full` adds the working directory and terminal (process-category events).
   */
  private processFields(at: number, p: ProcessInfo, full: boolean): void {
    const f = this.f;
    this.builder.applyPreset(this.entityPreset(p, full ? ENTITY_PRESET.processFull : ENTITY_PRESET.process, () => this.processEntityFields(p, full)));
    if (at >= 0) {
      const v = this.view;
      this.clock.convert(v.getUint32(at + HDR.start_time, true), v.getUint32(at + HDR.start_time + 4, true));
      this.date(f.start, this.clock.us, this.clock.ns);
      this.int(f.threadId, v.getUint32(at + HDR.pid, true));
      this.cstr(f.threadName, at + HDR.comm, COMM_LEN);
      // Back to the event time for fields that use it (process.end).
      this.clock.convert(v.getUint32(at + HDR.time_ns, true), v.getUint32(at + HDR.time_ns + 4, true));
    }
  }

  /** Which program: pid, entity id, name, executable and command line. */
  private processIdentity(p: ProcessInfo): void {
    const f = this.f;
    this.int(f.pid, p.pid);
    this.str(f.entityId, p.entityId);
    this.str(f.name, p.name);
    if (p.executable) this.str(f.executable, p.executable);
    this.strArray(f.args, p.args);
    this.int(f.argsCount, p.args.length);
    this.str(f.commandLine, this.commandLine(p.args));
  }

  /** The part of process.* that only depends on the table entry. */
  private processEntityFields(p: ProcessInfo, full: boolean): void {
    const f = this.f;
    this.processIdentity(p);
    if (full) {
      if (p.workingDirectory) this.str(f.cwd, p.workingDirectory);
      const tty = p.tty ?? 0;
      this.bool(f.interactive, tty !== 0);
      if (tty !== 0) {
        this.int(f.ttyMajor, (tty >> 8) & 0xfff);
        this.int(f.ttyMinor, (tty & 0xff) | ((tty >> 12) & 0xfff00));
      }
    }
    this.userPair(f.userId, f.userName, p.euid);
    this.userPair(f.procUserId, f.procUserName, p.euid);
    this.userPair(f.realUserId, f.realUserName, p.uid);
    // Elastic Defend's names for the real ids, which its rules test (`not user.Ext.real.id == "0"`):
    // always present, so such an exclusion holds for a real-root process whatever its effective id.
    this.userPair(f.extRealUserId, f.extRealUserName, p.uid);
    this.groupPair(f.groupId, f.groupName, p.egid);
    this.groupPair(f.procGroupId, f.procGroupName, p.egid);
    this.groupPair(f.realGroupId, f.realGroupName, p.gid);
    this.groupPair(f.extRealGroupId, f.extRealGroupName, p.gid);
  }

  private parentFields(ppid: number, full: boolean): void {
    if (ppid === 0) return;
    let parent = this.table.get(ppid);
    if (!parent) {
      parent = this.table.readProc(ppid);
      if (!parent) return;
      this.table.set(parent);
    }
    const known = parent;
    this.builder.applyPreset(this.entityPreset(known, full ? ENTITY_PRESET.parentFull : ENTITY_PRESET.parent, () => this.parentEntityFields(known, full)));
  }

  private parentEntityFields(parent: ProcessInfo, full: boolean): void {
    const f = this.f;
    this.int(f.ppid, parent.pid);
    this.str(f.parentEntityId, parent.entityId);
    this.str(f.parentName, parent.name);
    if (parent.executable) this.str(f.parentExecutable, parent.executable);
    this.userPair(f.parentUserId, f.parentUserName, parent.euid);
    this.groupPair(f.parentGroupId, f.parentGroupName, parent.egid);
    if (!full) return;
    this.strArray(f.parentArgs, parent.args);
    this.int(f.parentArgsCount, parent.args.length);
    this.str(f.parentCommandLine, this.commandLine(parent.args));
    if (parent.workingDirectory) this.str(f.parentCwd, parent.workingDirectory);
    this.clock.convertTicks(parent.startTicks);
    this.date(f.parentStart, this.clock.us, this.clock.ns);
  }

  /** Bytes of a tail part at `start`: its length field, at most `max`, never past the event. */
  private partLength(start: number, length: number, max: number): number {
    return Math.max(0, Math.min(length, max, this.end - start));
  }

  /** Bytes of a single-path tail at `pathAt` whose u32 length field is at `lengthAt`. */
  private pathLength(pathAt: number, lengthAt: number): number {
    return this.partLength(pathAt, this.view.getUint32(lengthAt, true), PATH_LEN);
  }

  /** file.path and its parts, copied from the path at `at` (NUL-terminated within `max` bytes). */
  private pathFields(at: number, max: number, pathId: number, nameId: number, dirId: number, extId: number): void {
    const b = this.bytes;
    const end = cStringEnd(b, at, max);
    let slash = -1;
    let dot = -1;
    for (let i = end - 1; i >= at; i--) {
      const c = b[i];
      if (c === 0x2f) {
        slash = i;
        break;
      }
      if (c === 0x2e && dot < 0) dot = i;
    }
    const builder = this.builder;
    if (pathId >= 0) builder.setUtf8Range(pathId, b, at, end);
    if (nameId >= 0) builder.setUtf8Range(nameId, b, slash + 1 > at ? slash + 1 : at, end);
    if (dirId >= 0 && slash >= at) builder.setUtf8Range(dirId, b, at, slash > at ? slash : at + 1);
    // A leading dot (".bashrc") starts a hidden name, not an extension.
    if (extId >= 0 && dot > slash + 1 && dot + 1 < end) builder.setUtf8Range(extId, b, dot + 1, end);
  }

  private capabilities(id: number, at: number): void {
    if (id < 0) return;
    const v = this.view;
    const b = this.target;
    b.beginArray(id);
    for (let word = 0; word < 2; word++) {
      let bits = v.getUint32(at + 4 * word, true);
      while (bits !== 0) {
        const low = bits & -bits;
        b.elementString(capabilityName(32 * word + 31 - Math.clz32(low)));
        bits ^= low;
      }
    }
    b.endArray();
  }

  /**
   * ECS command_line: the arguments joined by spaces, made once per argv. Keyed by the array,
   * which fork copies share and exec replaces, so entries go away with their processes.
   */
  private commandLine(args: string[]): string {
    let line = this.commandLines.get(args);
    if (line === undefined) {
      line = args.join(' ');
      this.commandLines.set(args, line);
    }
    return line;
  }

  private maybeSweep(nowUs: number): void {
    const ms = Math.floor(nowUs / 1000);
    if (ms - this.lastSweepMs < SWEEP_EVERY_MS) return;
    this.lastSweepMs = ms;
    this.table.sweep(ms);
    // User and group names are in the presets: new ones when /etc/passwd or /etc/group changed.
    const users = this.table.users;
    users.refresh();
    if (users.version !== this.usersVersion) {
      this.usersVersion = users.version;
      this.entityPresets = new WeakMap();
    }
  }

  private userPair(idField: number, nameField: number, uid: number): void {
    this.str(idField, String(uid));
    const name = this.table.users.userName(uid);
    if (name !== undefined) this.str(nameField, name);
  }

  private groupPair(idField: number, nameField: number, gid: number): void {
    this.str(idField, String(gid));
    const name = this.table.users.groupName(gid);
    if (name !== undefined) this.str(nameField, name);
  }

  private cstr(id: number, at: number, max: number): void {
    if (id >= 0) this.target.setUtf8Range(id, this.bytes, at, cStringEnd(this.bytes, at, max));
  }

  private str(id: number, s: string): void {
    if (id >= 0) this.target.setString(id, s);
  }

  private int(id: number, n: number): void {
    if (id >= 0) this.target.setInt(id, n);
  }

  private bool(id: number, value: boolean): void {
    if (id >= 0) this.target.setBool(id, value);
  }

  /** µs since the epoch + 0–999 ns, rendered with 9 fraction digits. */
  private date(id: number, us: number, ns: number): void {
    if (id >= 0) this.target.setDateScaled(id, us, 1000, ns, Tag.dateIso + 9);
  }

  private strArray(id: number, values: readonly string[]): void {
    if (id >= 0) this.target.setStringArray(id, values);
  }
}

/** Clock ticks (entity-id.ts) of a boot-time u64 at `at`, exactly, without BigInt. */
function ticksOf(v: DataView, at: number): number {
  const lo = v.getUint32(at, true);
  const hi = v.getUint32(at + 4, true);
  // 2^32 ns = 429 ticks + 4967296 ns
  return hi * 429 + Math.floor((hi * 4967296 + lo) / 10_000_000);
}

/**
 * A capability mask (u64 at `at`) as a number: exact while the highest capability is below 53
 * (CAP_LAST_CAP is 40 in Linux 6.18), and no BigInt per event.
 */
function capsOf(v: DataView, at: number): number {
  return v.getUint32(at + 4, true) * 0x1_0000_0000 + v.getUint32(at, true);
}

/** {"real","effective","saved","fs"} of the ids the table knows (unknown ones left out). */
function idsJson(real: number, effective: number, saved: number | undefined, fs: number | undefined): string {
  return `{"real":"${real}","effective":"${effective}"${saved === undefined ? '' : `,"saved":"${saved}"`}${fs === undefined ? '' : `,"fs":"${fs}"`}}`;
}

function capsJson(effective: number | undefined, permitted: number | undefined, inheritable: number | undefined): string {
  const hex = (name: string, n: number | undefined) => (n === undefined ? [] : [`"${name}":"0x${n.toString(16)}"`]);
  return `{${[...hex('effective', effective), ...hex('permitted', permitted), ...hex('inheritable', inheritable)].join(',')}}`;
}

/** Index of the NUL ending the string at `at`, or at + max when the field is full. */
function cStringEnd(b: Uint8Array, at: number, max: number): number {
  const end = at + max;
  for (let i = at; i < end; i++) if (b[i] === 0) return i;
  return end;
}

/** Bytes [start, end) as one char per byte: env names are ASCII, and this allocates nothing more. */
function latin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

const HEX_DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hexOf(b: Uint8Array, at: number, length: number): string {
  let hex = '';
  for (let i = 0; i < length; i++) hex += HEX_DIGITS[b[at + i]!];
  return hex;
}

function readCString(b: Uint8Array, at: number, max: number): string {
  return readUtf8(b, at, cStringEnd(b, at, max));
}

/** argv from NUL-separated bytes (the last argument may lack its NUL when cut). */
function splitArgs(b: Uint8Array, at: number, length: number): string[] {
  const args: string[] = [];
  const end = at + length;
  let start = at;
  for (let i = at; i < end; i++) {
    if (b[i] === 0) {
      args.push(readUtf8(b, start, i));
      start = i + 1;
    }
  }
  if (start < end) args.push(readUtf8(b, start, end));
  return args;
}

/** Kernel dev_t (major << 20 | minor) → the tty_nr encoding of /proc/<pid>/stat. */
function ttyNrOfDev(dev: number): number {
  const major = dev >>> 20;
  const minor = dev & 0xfffff;
  return (minor & 0xff) | (major << 8) | ((minor & 0xfff00) << 12);
}
