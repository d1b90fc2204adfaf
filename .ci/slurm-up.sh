#!/usr/bin/env bash
# Bring up a single-node SLURM on this (Debian) machine, for the cluster tests:
# munge, MariaDB + slurmdbd (accounting, so that sacct works), slurmctld and slurmd,
# with one fake GPU (Gres=gpu:1, File=/dev/null) so GPU jobs are really submitted
# with --gpus. No systemd: every daemon is started by hand. Needs root.
#
#     bash .ci/slurm-up.sh          # idempotent; prints "SLURM is up" when ready
#
# Facts this relies on (measured on Debian 12, SLURM 22.05): slurmctld must start
# after slurmdbd listens on 6819; RealMemory must cover every job's mem_mb; a job
# asking for more CPUs than the node has pends forever.
set -euo pipefail

log() { echo "[slurm-up] $*"; }
wait_for() {  # wait_for <seconds> <description> <command...>
  local limit=$1 what=$2; shift 2
  for _ in $(seq "$limit"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  log "timed out waiting for $what"; return 1
}

if sinfo -h -o %T 2>/dev/null | grep -q idle; then log "SLURM is up (already running)"; exit 0; fi

if ! command -v slurmctld >/dev/null || ! command -v slurmdbd >/dev/null || ! command -v mariadbd >/dev/null; then
  log "installing slurm-wlm, slurmdbd, mariadb-server, munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q slurm-wlm slurmdbd mariadb-server munge >/dev/null
fi

host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
db_pass=slurmdbpass

# --- munge ------------------------------------------------------------------
mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
[ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 0700 /etc/munge && chmod 0400 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
wait_for 15 munge munge -n

# --- MariaDB ------------------------------------------------------------------
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
[ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
if ! pgrep -x mariadbd >/dev/null; then
  (mariadbd --user=mysql --datadir=/var/lib/mysql --bind-address=127.0.0.1 >/var/log/mariadbd.log 2>&1 &)
fi
wait_for 60 MariaDB mariadb -e "select 1"
mariadb -e "create database if not exists slurm_acct_db;
            create user if not exists 'slurm'@'localhost' identified by '$db_pass';
            grant all on slurm_acct_db.* to 'slurm'@'localhost'; flush privileges;"

# --- configuration ------------------------------------------------------------
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm
cat > /etc/slurm/slurmdbd.conf <<EOF
AuthType=auth/munge
DbdHost=localhost
DbdPort=6819
SlurmUser=root
LogFile=/var/log/slurm/slurmdbd.log
PidFile=/run/slurm/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$db_pass
StorageLoc=slurm_acct_db
EOF
chmod 600 /etc/slurm/slurmdbd.conf

cat > /etc/slurm/slurm.conf <<EOF
ClusterName=local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageTRES=gres/gpu
AccountingStoreFlags=job_comment
GresTypes=gpu
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb Gres=gpu:1 State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
echo "NodeName=$host Name=gpu File=/dev/null" > /etc/slurm/gres.conf

# --- daemons ------------------------------------------------------------------
pgrep -x slurmdbd >/dev/null || slurmdbd
wait_for 60 "slurmdbd on port 6819" bash -c "exec 3<>/dev/tcp/127.0.0.1/6819"
sacctmgr -i add cluster local >/dev/null 2>&1 || true
pgrep -x slurmctld >/dev/null || slurmctld
wait_for 30 slurmctld scontrol ping
pgrep -x slurmd >/dev/null || slurmd
wait_for 60 "the node to be idle" bash -c "sinfo -h -o %T | grep -q idle"
log "SLURM is up: node $host, $cpus CPUs, ${mem_mb} MB, 1 (fake) GPU"
