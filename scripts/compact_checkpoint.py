"""Shrink a training checkpoint for committing: AdamW moments in bfloat16, weights untouched.

    python scripts/compact_checkpoint.py runs/cnn-photo/checkpoint.pt checkpoints/cnn-photo/checkpoint.pt

`semcom train --resume` continues from the copy (the optimizer casts the moments back to float32).
"""

import json
import sys

from semcom.checkpoint import compact_training_state

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(json.dumps(compact_training_state(sys.argv[1], sys.argv[2])))
