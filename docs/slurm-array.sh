#!/bin/bash
# A lesion study split over a Slurm job array: 8 jobs, each computing one shard, then a merge.
#
#   sbatch docs/slurm-array.sh resnet110.h5 test.h5 study/
#   # when all 8 are done:
#   lesion merge study/part-*.h5 -o study/results.h5
#
#SBATCH --job-name=lesion
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=02:00:00
set -euo pipefail
MODEL=$1 DATA=$2 OUT=$3
mkdir -p "$OUT"
# --resume makes a requeued or preempted job continue where it stopped.
lesion study "$MODEL" "$DATA" -o "$OUT/part-$SLURM_ARRAY_TASK_ID.h5" \
    --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" \
    --threads "$SLURM_CPUS_PER_TASK" --quiet --resume
