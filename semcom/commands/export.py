"""``semcom export``: a weights-only copy of a training checkpoint (optionally into the zoo), or ONNX graphs."""

from __future__ import annotations

import json

from . import _command


def add_parser(sub) -> None:
    p = _command(sub, "export", "weights-only copy of a training checkpoint (EMA, float16), or ONNX graphs",
                 "Write a weights-only copy (EMA weights, float16) of a training checkpoint, optionally into the "
                 "zoo; or, with --onnx, the encoder and decoder of a model as ONNX graphs (fp32 and int8).",
                 cmd_export)
    p.add_argument("--checkpoint", default=None, help="a training run's checkpoint.pt")
    p.add_argument("--onnx", action="store_true", help="write ONNX graphs (fp32 and int8) of --model into --out")
    p.add_argument("--model", default=None, help="--onnx: zoo name or checkpoint")
    p.add_argument("--image-size", default="32x32", help="--onnx: HxW the graphs are built for")
    p.add_argument("--data", default=None, help="--onnx: CIFAR-10 for int8 calibration and the check (default $SEMCOM_DATA)")
    p.add_argument("--no-int8", action="store_true", help="--onnx: fp32 graphs only")
    p.add_argument("--out", default=None, help="file to write (default model.pt); with --onnx a folder")
    p.add_argument("--zoo-name", default=None, help="write into the package zoo under this name instead")


def cmd_export(args) -> int:
    if args.onnx:
        from ..onnx_export import cmd_export_onnx

        return cmd_export_onnx(args)
    if not args.checkpoint:
        raise ValueError("export needs --checkpoint (or --onnx --model NAME)")
    from ..zoo import export

    entry = export(args.checkpoint, args.out or "model.pt", zoo_name=args.zoo_name)
    print(json.dumps(entry))
    return 0
