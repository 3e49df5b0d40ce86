// The built-in ECS schema for Linux: every field the Elastic Linux detection rules use, every field
// Kestrel's eBPF sensor emits, and the Elastic Defend (`*.Ext.*`) and integration fields (auditd,
// cloud_defend, Kubernetes audit) those rules name. Types follow ECS 9.x, the Elastic Defend
// endpoint package and the integration packages; descriptions are Kestrel's own.
//
// The table is text, parsed once on first use. One field per line:
//     <path> <type>[*][~] <description>
// `*` marks a field that usually holds an array (process.args, event.type …); `~` marks a field
// with an ECS `.text` multi-field, which becomes an alias of the field itself. Blocks that ECS
// repeats (a process under process.parent, process.session_leader …; a hash set under file and
// dll …) are written once with relative paths and expanded under each prefix.
import { InternalError } from '../errors.js';
import { createSchema, type BuiltSchema } from './schema.js';
import type { FieldDef, FieldType } from './types.js';

// ───────────────────────────── reusable blocks ─────────────────────────────

const HASHES = `
md5 keyword MD5 hash.
sha1 keyword SHA-1 hash.
sha256 keyword SHA-256 hash.
sha512 keyword SHA-512 hash.
ssdeep keyword SSDEEP fuzzy hash.
tlsh keyword TLSH fuzzy hash.
`;

const CODE_SIGNATURE = `
exists boolean Whether a code signature is present.
status keyword Outcome of signature validation, as reported by the OS.
subject_name keyword Subject name of the signer.
trusted boolean Whether the signature chains to a trusted root.
valid boolean Whether the signature is intact and well formed.
`;

/** Credentials of a task, from its cred struct (all process-like entities carry them). */
const CREDENTIALS = `
user.id keyword Effective user id (euid), as a decimal string.
user.name keyword~ Effective user name.
group.id keyword Effective group id (egid), as a decimal string.
group.name keyword Effective group name.
real_user.id keyword Real user id (ruid).
real_user.name keyword~ Real user name.
real_group.id keyword Real group id (rgid).
real_group.name keyword Real group name.
saved_user.id keyword Saved set-user id (suid).
saved_user.name keyword~ Saved set-user name.
saved_group.id keyword Saved set-group id (sgid).
saved_group.name keyword Saved set-group name.
supplemental_groups.id keyword* Supplementary group ids.
supplemental_groups.name keyword* Supplementary group names.
`;

/** What ECS records for every process-like entity: the process, its parent and its leaders. */
const PROCESS_IDENTITY = `
pid long Process id in the host (initial) pid namespace.
vpid long Process id inside the process's own pid namespace (differs in containers).
entity_id keyword Unique process id, stable across pid reuse; the usual sequence join key.
name keyword~ Process name: the executable's base name.
executable keyword~ Absolute path of the executable image.
args keyword* Argument vector, argv[0] first.
args_count long Number of entries in args.
command_line wildcard~ Full command line: the arguments joined by spaces.
working_directory keyword~ Current working directory.
start date When the process started.
interactive boolean Whether the process has a controlling terminal.
tty.char_device.major long Major device number of the controlling terminal.
tty.char_device.minor long Minor device number of the controlling terminal.
${CREDENTIALS}`;

/** Fields ECS records for the process itself and its parent, not for leaders. */
const PROCESS_DETAIL = `
title keyword~ Process title as shown by ps (may be rewritten by the process).
end date When the process ended.
exit_code long Exit code; only present on end events.
uptime long Seconds the process has been running.
tty.rows long Rows of the controlling terminal window.
tty.columns long Columns of the controlling terminal window.
thread.id long Thread id (tid) of the thread that caused the event.
thread.name keyword Name (comm) of the thread that caused the event.
thread.capabilities.effective keyword* Effective capability set (CAP_* names).
thread.capabilities.permitted keyword* Permitted capability set (CAP_* names).
Ext.ancestry keyword* Entity ids of the ancestors, nearest first (Elastic Defend).
Ext.command_line_truncated boolean Whether the command line was cut to fit (Elastic Defend).
Ext.trusted boolean Whether the executable is trusted by Elastic Defend.
Ext.trusted_descendant boolean Whether the process descends from a trusted process (Elastic Defend).
Ext.effective_parent.executable keyword~ The process that really caused this one (an injector, a service manager acting for a client) (Elastic Defend; not filled on Linux: absent).
Ext.effective_parent.name keyword~ Name of the effective parent (Elastic Defend; not filled on Linux: absent).
Ext.effective_parent.pid long Pid of the effective parent (Elastic Defend; not filled on Linux: absent).
Ext.effective_parent.entity_id keyword Entity id of the effective parent (Elastic Defend; not filled on Linux: absent).
`;

/** Process-like entities ECS tracks for session, process-group and entry leaders. */
const LEADER = `
same_as_process boolean Whether this leader is the event's process itself.
`;

const LEADER_PARENT = `
parent.entity_id keyword Entity id of the leader's parent.
parent.pid long Pid of the leader's parent.
parent.vpid long Namespaced pid of the leader's parent.
parent.start date Start time of the leader's parent.
parent.session_leader.entity_id keyword Entity id of the session leader of the leader's parent.
parent.session_leader.pid long Pid of the session leader of the leader's parent.
parent.session_leader.vpid long Namespaced pid of the session leader of the leader's parent.
parent.session_leader.start date Start time of the session leader of the leader's parent.
`;

const ENTRY_LEADER = `
entry_meta.type keyword How the session was entered: init, sshd, ssm, kubelet, terminal, console, container …
entry_meta.source.ip ip Remote address of the session entry (e.g. the ssh client).
attested_user.id keyword User id vouched for by the orchestrator (e.g. Kubernetes).
attested_user.name keyword~ User name vouched for by the orchestrator.
attested_groups.name keyword* Group names vouched for by the orchestrator.
`;

const GROUP_LEADER_REF = `
entity_id keyword Entity id of the process group leader.
pid long Pid of the process group leader.
vpid long Namespaced pid of the process group leader.
start date Start time of the process group leader.
`;

/** Fields only the event's own process has. */
const PROCESS_ONLY = `
env_vars keyword* Environment variables captured at exec, as NAME=value strings: only the names the loaded rules look for and sensor.capture_env_vars (Elastic Defend's capture_env_vars).
ppid long Parent pid; legacy ECS name, same value as process.parent.pid.
previous.args keyword* Argument vector before the last exec.
previous.args_count long Number of arguments before the last exec.
previous.executable keyword~ Executable before the last exec.
io.text wildcard Terminal output captured from the process.
io.type keyword Kind of captured I/O (tty).
io.total_bytes_captured long Bytes of I/O captured.
io.total_bytes_skipped long Bytes of I/O skipped (over the capture limit).
io.max_bytes_per_process_exceeded boolean Whether the per-process capture limit was reached.
io.bytes_skipped.offset long* Offsets in io.text where output was skipped.
io.bytes_skipped.length long* Lengths of the skipped stretches.
ai_agent.name keyword Name of the AI agent the process belongs to (Elastic Defend).
ai_agent.is_descendant boolean Whether the process descends from an AI agent (Elastic Defend).
Ext.header_bytes keyword The first 256 bytes of process.executable (for a script, its interpreter) as the kernel read them at exec, in hex (ELF magic, "#!", a packer's marker such as UPX's "UPX!" = 55505821) (Kestrel; Elastic Defend's file.Ext.header_bytes form).
Ext.load_module.name keyword Kernel module loaded by the process (init_module/finit_module).
Ext.load_module.version keyword Version string of the loaded kernel module.
Ext.load_module.src_version keyword Source version (srcversion) of the loaded kernel module.
Ext.load_module.taints long Kernel taint bits set by loading the module.
Ext.load_module.taint_flags keyword Kernel taint flags of the module as letters (e.g. OE).
Ext.ptrace.request long ptrace request number.
Ext.ptrace.child_pid long Pid of the traced process.
Ext.ptrace.addr long ptrace address argument.
Ext.ptrace.data long ptrace data argument.
Ext.memfd.name keyword Name passed to memfd_create.
Ext.memfd.flags long Flags passed to memfd_create.
Ext.memfd.flag_cloexec boolean memfd_create MFD_CLOEXEC flag.
Ext.memfd.flag_allow_seal boolean memfd_create MFD_ALLOW_SEALING flag.
Ext.memfd.flag_hugetlb boolean memfd_create MFD_HUGETLB flag.
Ext.memfd.flag_noexec_seal boolean memfd_create MFD_NOEXEC_SEAL flag.
Ext.memfd.flag_exec boolean memfd_create MFD_EXEC flag.
Ext.shmget.key long Key passed to shmget.
Ext.shmget.size long Size passed to shmget.
Ext.shmget.flags long Flags passed to shmget.
`;

const USER_CORE = `
id keyword User id, as a decimal string on Linux.
name keyword~ User name.
domain keyword Domain of the user (directory service), if any.
full_name keyword~ Full name (GECOS).
group.id keyword Primary group id of the user.
group.name keyword Primary group name of the user.
`;

const NETWORK_ENDPOINT = `
address keyword Address as reported: IP, domain or unix socket path.
ip ip IP address (v4 or v6).
port long Port number.
domain keyword Domain name.
mac keyword MAC address.
bytes long Bytes sent from this side.
packets long Packets sent from this side.
nat.ip ip Address after network address translation.
nat.port long Port after network address translation.
registered_domain keyword Registered domain (eTLD+1) of domain.
subdomain keyword Subdomain part of domain.
top_level_domain keyword Effective top-level domain of domain.
`;

// ───────────────────────────── the fields ─────────────────────────────

const BASE = `
@timestamp date_nanos When the event happened; nanosecond precision.
message match_only_text Human-readable summary of the event.
tags keyword* Free-form tags.
ecs.version keyword ECS version the event follows.
labels flattened Custom key/value pairs.

agent.id keyword Unique id of the agent (sensor) instance.
agent.name keyword Name given to the agent.
agent.type keyword Agent type: kestrel, endpoint, auditbeat …
agent.version keyword Agent version.
agent.ephemeral_id keyword Id that changes on every agent restart.
agent.build.original keyword Build details of the agent.
elastic.agent.id keyword Elastic Agent id (Elastic Defend documents).

data_stream.type constant_keyword Data stream type: logs, metrics …
data_stream.dataset constant_keyword Data stream dataset, e.g. endpoint.events.process.
data_stream.namespace constant_keyword Data stream namespace, e.g. default.

event.kind keyword Event class: event, alert, signal, state, metric …
event.category keyword* ECS category: process, file, network, driver, authentication …
event.type keyword* ECS type within the category: start, end, creation, deletion, change, info …
event.action keyword What happened, as the source names it: exec, fork, end, creation, rename, connection_attempted …
event.outcome keyword success, failure or unknown.
event.id keyword Unique id of the event.
event.code keyword Source-specific event code.
event.sequence long Monotonic sequence number assigned at ingest; orders events with equal timestamps.
event.created date When the agent first saw the event.
event.ingested date When the event reached the pipeline.
event.start date When the activity started.
event.end date When the activity ended.
event.duration long Duration of the activity in nanoseconds.
event.module keyword Module that produced the event: kestrel, endpoint, auditd …
event.dataset keyword Dataset within the module, e.g. kestrel.process.
event.provider keyword Source of the event within the module (kernel subsystem, log name).
event.severity long Numeric severity as the source gives it.
event.risk_score float Risk score of the event.
event.reason keyword Why the event was produced (alerts).
event.original keyword Raw event text as received.
event.hash keyword Hash of the raw event.
event.timezone keyword Time zone of the source, when it has no offset in its timestamps.
event.agent_id_status keyword Whether agent.id was verified: verified, mismatch, missing, auth_metadata_missing.
event.Ext.correlation.id keyword Id shared by correlated events (Elastic Defend).

host.id keyword Unique host id (machine-id).
host.name keyword Host name as configured for the agent.
host.hostname keyword Host name from the kernel (uname).
host.domain keyword DNS domain of the host.
host.type keyword Host type, e.g. cloud instance or VM.
host.architecture keyword CPU architecture: x86_64, aarch64 …
host.ip ip* IP addresses of the host.
host.mac keyword* MAC addresses of the host.
host.uptime long Seconds since boot.
host.boot.id keyword Id of the current boot (/proc/sys/kernel/random/boot_id).
host.pid_ns_ino keyword Inode of the agent's pid namespace, to tell containers apart.
host.os.type keyword OS type: linux, macos, windows …
host.os.name keyword~ OS name, e.g. Ubuntu.
host.os.family keyword OS family: debian, redhat, suse …
host.os.kernel keyword Kernel release (uname -r).
host.os.platform keyword OS platform id: ubuntu, centos, rhel …
host.os.version keyword OS version.
host.os.full keyword~ Full OS name and version.
host.os.Ext.variant keyword OS variant as detected by Elastic Defend.

user.email keyword E-mail address of the user.
user.hash keyword Hash of the user name, for anonymised data.
user.roles keyword* Roles of the user.
user.group.domain keyword Domain of the user's primary group.
user.Ext.real.id keyword Real user id of the acting process (Elastic Defend; the sensor always fills it).
user.Ext.real.name keyword Real user name (Elastic Defend).

group.id keyword Group id (gid) of the event's group.
group.name keyword Group name.
group.domain keyword Domain of the group.
group.Ext.real.id keyword Real group id of the acting process (Elastic Defend; the sensor always fills it).
group.Ext.real.name keyword Real group name (Elastic Defend).

file.path keyword~ Full path of the file.
file.name keyword File name, without the directory.
file.extension keyword File extension, without the dot.
file.directory keyword Directory holding the file.
file.target_path keyword~ Target of a symbolic link, or new path of a rename.
file.type keyword File type: file, dir, symlink …
file.mode keyword Permission bits in octal, e.g. 0644.
file.owner keyword Name of the owning user.
file.group keyword Name of the owning group.
file.uid keyword Owning user id.
file.gid keyword Owning group id.
file.size long Size in bytes.
file.inode keyword Inode number.
file.device keyword Device holding the file.
file.attributes keyword* File attributes (immutable, append-only …).
file.mime_type keyword MIME type from the file's content.
file.created date Creation (birth) time.
file.mtime date Last content modification time.
file.ctime date Last metadata change time.
file.accessed date Last access time.
file.Ext.original.path keyword Path before a rename (Elastic Defend).
file.Ext.original.name keyword Name before a rename (Elastic Defend).
file.Ext.original.extension keyword Extension before a rename (Elastic Defend).
file.Ext.header_bytes keyword First bytes of the file, hex encoded (Elastic Defend).
file.Ext.entropy double Shannon entropy of the file content (Elastic Defend).
file.Ext.temp_file_path keyword Temporary path the file was written through (Elastic Defend).
file.Ext.truncated boolean The open discarded the file's content (O_TRUNC, creat, a shell's > redirect) (Kestrel).

dll.name keyword Name of the shared object or kernel module loaded.
dll.path keyword Full path of the shared object or kernel module loaded.

network.transport keyword Transport protocol: tcp, udp, icmp …
network.protocol keyword Application protocol: dns, http, ssh …
network.direction keyword ingress, egress, inbound, outbound, internal, external or unknown.
network.type keyword Network layer: ipv4, ipv6 …
network.iana_number keyword IANA protocol number, e.g. 6 for TCP.
network.application keyword Application name behind the traffic.
network.community_id keyword Community ID flow hash.
network.bytes long Bytes in both directions.
network.packets long Packets in both directions.
network.name keyword Name of the network.
network.forwarded_ip ip Original client address from a forwarding header.

dns.question.name keyword Name queried.
dns.question.type keyword Record type queried: A, AAAA, TXT …
dns.question.class keyword Class queried, usually IN.
dns.question.registered_domain keyword Registered domain of the name queried.
dns.question.subdomain keyword Subdomain of the name queried.
dns.question.top_level_domain keyword Effective top-level domain of the name queried.
dns.resolved_ip ip* Addresses in the answer.
dns.answers.name keyword* Names in the answer records.
dns.answers.type keyword* Types of the answer records.
dns.answers.class keyword* Classes of the answer records.
dns.answers.data keyword* Data of the answer records.
dns.answers.ttl long* TTLs of the answer records.
dns.response_code keyword DNS response code: NOERROR, NXDOMAIN …
dns.header_flags keyword* DNS header flags: AA, TC, RD, RA …
dns.id keyword DNS transaction id.
dns.op_code keyword DNS operation code.
dns.type keyword Whether the event is a question or an answer.

url.original wildcard~ URL as seen in the source.
url.full wildcard~ Full URL, reconstructed.
url.scheme keyword URL scheme without the colon.
url.domain keyword Host part of the URL.
url.port long Port of the URL.
url.path wildcard Path of the URL.
url.query keyword Query string, without the question mark.
url.fragment keyword Fragment, without the hash sign.
url.extension keyword Extension of the last path segment.
url.registered_domain keyword Registered domain of the URL host.

http.request.method keyword HTTP method.
http.request.body.content wildcard~ HTTP request body.
http.request.body.bytes long Size of the request body.
http.request.bytes long Size of the request.
http.request.referrer keyword Referer header.
http.request.mime_type keyword MIME type of the request body.
http.request.id keyword Request id.
http.response.status_code long HTTP status code.
http.response.body.content wildcard~ HTTP response body.
http.response.body.bytes long Size of the response body.
http.response.bytes long Size of the response.
http.response.mime_type keyword MIME type of the response body.
http.version keyword HTTP version.

user_agent.original keyword~ User-Agent string.
user_agent.name keyword Name of the user agent.
user_agent.version keyword Version of the user agent.
user_agent.device.name keyword Device of the user agent.
user_agent.os.name keyword~ OS of the user agent.

container.id keyword Container id.
container.name keyword Container name.
container.runtime keyword Container runtime: containerd, docker, cri-o …
container.image.name keyword Image name.
container.image.tag keyword* Image tags.
container.image.hash.all keyword* Image digests.
container.labels flattened Container labels.
container.security_context.privileged boolean Whether the container runs privileged.

orchestrator.type keyword Orchestrator type, e.g. kubernetes.
orchestrator.cluster.id keyword Cluster id.
orchestrator.cluster.name keyword Cluster name.
orchestrator.namespace keyword Namespace of the resource.
orchestrator.resource.name keyword Name of the resource, e.g. the pod.
orchestrator.resource.type keyword Type of the resource, e.g. pod.
orchestrator.resource.id keyword Id of the resource.
orchestrator.resource.ip ip* Addresses of the resource.
orchestrator.resource.parent.type keyword Type of the resource's owner, e.g. deployment.
orchestrator.resource.label keyword* Labels of the resource.
orchestrator.resource.annotation keyword* Annotations of the resource.

cloud.provider keyword Cloud provider: aws, gcp, azure …
cloud.region keyword Cloud region.
cloud.availability_zone keyword Availability zone.
cloud.account.id keyword Cloud account id.
cloud.account.name keyword Cloud account name.
cloud.instance.id keyword Instance id.
cloud.instance.name keyword Instance name.
cloud.project.id keyword Project id.
cloud.project.name keyword Project name.
cloud.machine.type keyword Machine type.
cloud.service.name keyword Cloud service name.

rule.id keyword Id of the rule that produced the event.
rule.uuid keyword UUID of the rule.
rule.name keyword Name of the rule.
rule.description keyword Description of the rule.
rule.category keyword Category of the rule.
rule.ruleset keyword Rule set the rule belongs to.
rule.reference keyword Reference URL of the rule.
rule.version keyword Version of the rule.
rule.author keyword* Authors of the rule.
rule.license keyword Licence of the rule.

threat.framework keyword Threat framework, e.g. MITRE ATT&CK.
threat.tactic.id keyword* ATT&CK tactic ids.
threat.tactic.name keyword* ATT&CK tactic names.
threat.technique.id keyword* ATT&CK technique ids.
threat.technique.name keyword* ATT&CK technique names.
threat.technique.subtechnique.id keyword* ATT&CK sub-technique ids.
threat.technique.subtechnique.name keyword* ATT&CK sub-technique names.

related.ip ip* All IP addresses seen in the event.
related.user keyword* All user names and ids seen in the event.
related.hosts keyword* All host names seen in the event.
related.hash keyword* All hashes seen in the event.

kibana.alert.risk_score float Risk score of a detection alert.
kibana.alert.severity keyword Severity of a detection alert.
kibana.alert.rule.name keyword Name of the rule that raised the alert.
kibana.alert.rule.rule_id keyword Stable id of the rule that raised the alert.
kibana.alert.rule.uuid keyword UUID of the rule that raised the alert.
kibana.alert.original_time date Timestamp of the source event of the alert.
kibana.alert.workflow_status keyword Triage status of the alert.

auditd.result keyword Result of the audited action: success or fail.
auditd.session keyword Audit session id.
auditd.sequence long Audit record sequence number.
auditd.message_type keyword Audit record type, e.g. syscall.
auditd.data.syscall keyword System call name.
auditd.data.a0 keyword First system call argument, hex.
auditd.data.a1 keyword Second system call argument, hex.
auditd.data.a2 keyword Third system call argument, hex.
auditd.data.a3 keyword Fourth system call argument, hex.
auditd.data.exit keyword System call return value.
auditd.data.tty keyword Terminal of the audited process.
auditd.data.class keyword Class of the audited operation.
auditd.data.socket.family keyword Socket address family: unix, ipv4, ipv6 …
auditd.data.socket.addr keyword Socket address.
auditd.data.socket.port keyword Socket port.
auditd.data.socket.path keyword Unix socket path.
auditd.summary.actor.primary keyword Login user of the actor.
auditd.summary.actor.secondary keyword Effective user of the actor.
auditd.summary.object.primary keyword Primary object of the action.
auditd.summary.object.secondary keyword Secondary object of the action.
auditd.summary.object.type keyword Type of the object.
auditd.summary.how keyword How the action was carried out (usually the executable).

cloud_defend.matched_selectors keyword* Defend for Containers selectors that matched the event.
cloud_defend.hook_point keyword* Kernel hook points the event came from.
cloud_defend.package_policy_id keyword Fleet policy id of the Defend for Containers integration.
cloud_defend.package_policy_revision short Revision of that policy.

kubernetes.audit.verb keyword Kubernetes API verb: get, create, exec …
kubernetes.audit.stage keyword Request stage: RequestReceived, ResponseComplete …
kubernetes.audit.level keyword Audit level of the event.
kubernetes.audit.auditID keyword Unique id of the audited request.
kubernetes.audit.requestURI keyword Request URI.
kubernetes.audit.userAgent keyword User agent of the client.
kubernetes.audit.sourceIPs keyword* Client address and intermediate proxies.
kubernetes.audit.user.username keyword Authenticated user name.
kubernetes.audit.user.uid keyword Authenticated user uid.
kubernetes.audit.user.groups keyword* Groups of the authenticated user.
kubernetes.audit.user.extra.authentication.kubernetes.io/pod-name keyword* Pod a service-account token was bound to.
kubernetes.audit.user.extra.authentication.kubernetes.io/pod-uid keyword* Uid of the pod a service-account token was bound to.
kubernetes.audit.user.extra.authentication.kubernetes.io/node-name keyword* Node a service-account token was bound to.
kubernetes.audit.impersonatedUser.username keyword Impersonated user name.
kubernetes.audit.impersonatedUser.groups keyword* Impersonated groups.
kubernetes.audit.objectRef.resource keyword Resource kind acted on: pods, secrets …
kubernetes.audit.objectRef.subresource keyword Subresource acted on: exec, attach, log …
kubernetes.audit.objectRef.name keyword Name of the object acted on.
kubernetes.audit.objectRef.namespace keyword Namespace of the object acted on.
kubernetes.audit.objectRef.apiGroup keyword API group of the object.
kubernetes.audit.objectRef.apiVersion keyword API version of the object.
kubernetes.audit.responseStatus.code integer HTTP status of the response.
kubernetes.audit.annotations.authorization_k8s_io/decision keyword Authorizer decision: allow or forbid.
kubernetes.audit.annotations.authorization_k8s_io/reason keyword Why the authorizer decided so.
`;

// ───────────────────────────── expansion and parsing ─────────────────────────────

interface Block {
  text: string;
  /** Appended to each description so expanded copies say whose field they are. */
  role?: string;
}

/** [prefix, blocks] in output order; '' is the root. */
function layout(): Array<[string, Block[]]> {
  const leader = (role: string): Block[] => [
    { text: PROCESS_IDENTITY, role },
    { text: LEADER, role },
  ];
  return [
    ['', [{ text: BASE }]],
    ['user', [{ text: USER_CORE }]],
    ['user.effective', [{ text: USER_CORE, role: 'effective user' }]],
    ['user.target', [{ text: USER_CORE, role: 'target user of the action' }]],
    ['user.changes', [{ text: USER_CORE, role: 'user after the change' }]],
    ['process', [{ text: PROCESS_IDENTITY }, { text: PROCESS_DETAIL }, { text: PROCESS_ONLY }]],
    ['process.hash', [{ text: HASHES, role: 'process executable' }]],
    ['process.code_signature', [{ text: CODE_SIGNATURE, role: 'process executable' }]],
    ['process.parent', [{ text: PROCESS_IDENTITY, role: 'parent process' }, { text: PROCESS_DETAIL, role: 'parent process' }]],
    ['process.parent.hash', [{ text: HASHES, role: 'parent executable' }]],
    ['process.parent.code_signature', [{ text: CODE_SIGNATURE, role: 'parent executable' }]],
    ['process.parent.group_leader', [{ text: GROUP_LEADER_REF, role: 'of the parent' }]],
    ['process.group_leader', leader('process group leader')],
    ['process.session_leader', [...leader('session leader'), { text: LEADER_PARENT, role: 'session leader' }]],
    ['process.entry_leader', [...leader('entry leader'), { text: LEADER_PARENT, role: 'entry leader' }, { text: ENTRY_LEADER }]],
    ['file.hash', [{ text: HASHES, role: 'file' }]],
    ['dll.hash', [{ text: HASHES, role: 'loaded object' }]],
    ['dll.code_signature', [{ text: CODE_SIGNATURE, role: 'loaded object' }]],
    ['source', [{ text: NETWORK_ENDPOINT, role: 'source' }]],
    ['destination', [{ text: NETWORK_ENDPOINT, role: 'destination' }]],
    ['client', [{ text: NETWORK_ENDPOINT, role: 'client' }]],
    ['server', [{ text: NETWORK_ENDPOINT, role: 'server' }]],
  ];
}

const LINE = /^(\S+)\s+([a-z_]+)(\*?)(~?)\s+(\S.*)$/;
const KNOWN_TYPES = new Set<string>([
  'keyword', 'constant_keyword', 'wildcard', 'match_only_text', 'long', 'integer', 'short', 'float', 'double',
  'ip', 'date', 'date_nanos', 'boolean', 'flattened',
]);

interface Table {
  fields: FieldDef[];
  aliases: Map<string, string>;
}

function parseTable(): Table {
  const fields: FieldDef[] = [];
  const aliases = new Map<string, string>();
  for (const [prefix, blocks] of layout()) {
    for (const { text, role } of blocks) {
      for (const raw of text.split('\n')) {
        const line = raw.trim();
        if (line === '') continue;
        const m = LINE.exec(line);
        if (m === null || !KNOWN_TYPES.has(m[2]!)) throw new InternalError('schema.ecs-table', `bad ECS table line: "${line}"`);
        const [, rel, type, star, tilde, desc] = m as unknown as [string, string, string, string, string, string];
        const path = prefix === '' ? rel : `${prefix}.${rel}`;
        const field: FieldDef = { path, type: type as FieldType, description: role === undefined ? desc : `${desc} (${role})` };
        if (star === '*') field.multi = true;
        fields.push(field);
        if (tilde === '~') aliases.set(`${path}.text`, path);
      }
    }
  }
  return { fields, aliases };
}

let cached: BuiltSchema | undefined;

/**
 * The built-in, strict ECS schema for Linux. Built once; the same frozen object is returned after.
 * Multi-fields ECS defines as `<field>.text` are aliases of their field.
 */
export function ecsLinuxSchema(): BuiltSchema {
  if (cached === undefined) {
    const { fields, aliases } = parseTable();
    cached = createSchema('ecs-linux', fields, { strict: true, aliases });
  }
  return cached;
}
