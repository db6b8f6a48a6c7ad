"""Model statistics for any config: parameters, FLOPs at an input size, inference images/s.

    python tools/analyze_model.py CONFIG [--shape 800 1333] [--iters 5] [--checkpoint CKPT]
                                  [--cfg-options KEY=VALUE ...]

Parameters are counted for the whole model and for the inference graph (backbone, neck, query
head: the auxiliary heads only train). FLOPs are those of the inference graph on one image of
``--shape`` (height width), counted by mmengine's ``get_model_complexity_info`` (one multiply-add =
one FLOP, as fvcore; operators it has no rule for, e.g. the deformable attention's grid_sample,
add nothing). Speed is images/s of that graph, batch 1, on the CPU and, where present, the GPU.
No pretrained weights are downloaded: the model is built without ``init_weights``.
"""
import argparse
import sys
import time

import torch
from mmengine.analysis import get_model_complexity_info

from brs_detr.engine import add_runner_arguments, load_config, run_cli
from brs_detr.engine.inference_graph import InferenceGraph, build_detector


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", help="config file")
    parser.add_argument("--shape", type=int, nargs=2, default=[800, 1333], metavar=("H", "W"),
                        help="input size (default: %(default)s)")
    parser.add_argument("--iters", type=int, default=5, help="timed passes per device (default: 5)")
    parser.add_argument("--checkpoint", help="weights to load (speed and FLOPs do not need them)")
    add_runner_arguments(parser)
    return parser.parse_args(argv)


def count_parameters(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def images_per_second(graph: torch.nn.Module, images: torch.Tensor, iters: int) -> float:
    sync = torch.cuda.synchronize if images.is_cuda else (lambda: None)
    with torch.no_grad():
        graph(images)  # warm-up
        sync()
        start = time.perf_counter()
        for _ in range(iters):
            graph(images)
        sync()
    return iters * images.size(0) / (time.perf_counter() - start)


def _speed(per_second: float) -> str:
    return f"{per_second:.3g} images/s ({1 / per_second:.3g} s per image)"


def main(argv=None):
    args = parse_args(argv)
    height, width = args.shape
    cfg = load_config(args.config, args.cfg_options)
    detector = build_detector(cfg, args.checkpoint)
    graph = InferenceGraph(detector, height, width).eval()
    inference_modules = [detector.backbone, getattr(detector, "neck", None), detector.query_head]
    params_all = count_parameters(detector)
    params_inf = sum(count_parameters(m) for m in inference_modules if m is not None)
    images = torch.rand(1, 3, height, width) * 255
    with torch.no_grad():
        flops = get_model_complexity_info(graph, inputs=(images, ), show_table=False,
                                          show_arch=False)["flops"]
    print(f"config: {args.config}")
    print(f"parameters: {params_all / 1e6:.2f} M (inference graph {params_inf / 1e6:.2f} M; "
          f"auxiliary heads {(params_all - params_inf) / 1e6:.2f} M, training only)")
    print(f"FLOPs at {height}x{width}: {flops / 1e9:.2f} GFLOPs (inference graph, 1 image)")
    print(f"speed on CPU ({torch.get_num_threads()} threads): "
          f"{_speed(images_per_second(graph, images, args.iters))} at {height}x{width}")
    if torch.cuda.is_available():
        gpu = graph.cuda()
        print(f"speed on {torch.cuda.get_device_name()}: "
              f"{_speed(images_per_second(gpu, images.cuda(), args.iters))} at {height}x{width}")
    else:
        print("speed on GPU: no CUDA device here")


if __name__ == "__main__":
    sys.exit(run_cli(main))
