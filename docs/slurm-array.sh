#!/bin/bash
# A whole lesion study from one sbatch: a job array whose tasks each compute one shard, and a
# merge job that runs when every task has succeeded.
#
#   sbatch docs/slurm-array.sh resnet110.h5 test.h5 study/ [lesion study options...]
#   # when the merge job is done: study/results.h5
#
# Options after the three arguments go to `lesion study` (e.g. --limit 2000 --max-k 8).
# A task that fails, is cancelled or preempted can be requeued (`scontrol requeue JOB_TASK`):
# --resume makes it continue from its last save, and the merge job waits for it.
# docs/slurm.md says more; `make test-slurm` runs this script on a one-node cluster.
#
#SBATCH --job-name=lesion
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
MODEL=$1 DATA=$2 OUT=$3
shift 3
mkdir -p "$OUT"

# The merge job waits for every task by its own id (afterok:JOB_0:JOB_1:...). The first task
# submits it on its first start; a requeued task re-arms it, since Slurm marks a dependency on
# a task that failed or was cancelled as never satisfied, even after the task succeeds.
tasks=""
for i in $(seq "$SLURM_ARRAY_TASK_MIN" "$SLURM_ARRAY_TASK_MAX"); do
    tasks+=":${SLURM_ARRAY_JOB_ID}_$i"
done
merge_name="lesion-merge-$SLURM_ARRAY_JOB_ID"
if [ "${SLURM_RESTART_COUNT:-0}" != 0 ]; then
    for merge in $(squeue --noheader --name="$merge_name" --format=%i); do
        scontrol update JobId="$merge" Dependency="afterok$tasks"
    done
elif [ "$SLURM_ARRAY_TASK_ID" = "$SLURM_ARRAY_TASK_MIN" ]; then
    parts=""
    for i in $(seq "$SLURM_ARRAY_TASK_MIN" "$SLURM_ARRAY_TASK_MAX"); do
        parts+=" $(printf '%q' "$OUT/part-$i.h5")"
    done
    sbatch --job-name="$merge_name" --dependency="afterok$tasks" \
        --cpus-per-task=1 --mem=1G --output="$OUT/merge-%j.out" \
        --wrap="lesion merge$parts -o $(printf '%q' "$OUT/results.h5")"
fi

lesion study "$MODEL" "$DATA" -o "$OUT/part-$SLURM_ARRAY_TASK_ID.h5" \
    --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" \
    --threads "$SLURM_CPUS_PER_TASK" --quiet --resume "$@"
