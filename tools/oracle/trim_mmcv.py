"""Patch an unpacked mmcv-full 1.7.2 sdist to build on torch 2.14 (CPU) with only nms + roi_align.

torch 2.14's headers need C++20 (mmcv passes -std=c++14/17) and new setuptools has no
pkg_resources; the Co-DETR CPU path needs only the nms and roi_align kernels (deformable
attention and focal loss fall back to pure PyTorch on CPU), so only those are compiled, the
pybind module registers only them, and ext_loader stops asserting that every op exists.

    python tools/oracle/trim_mmcv.py path/to/mmcv-full-1.7.2
"""
import re
import sys
from pathlib import Path

KEPT_SOURCES = ('pytorch/pybind.cpp', 'pytorch/info.cpp', 'pytorch/nms.cpp',
                'pytorch/roi_align.cpp', 'pytorch/cpu/nms.cpp', 'pytorch/cpu/roi_align.cpp')
KEPT_FUNCTIONS = ('get_compiler_version', 'get_compiling_cuda_version', 'nms', 'softnms',
                  'nms_match', 'roi_align_forward', 'roi_align_backward')
DECLARATIONS = '''#include <torch/extension.h>
#include "pytorch_cpp_helper.hpp"
std::string get_compiler_version();
std::string get_compiling_cuda_version();
Tensor nms(Tensor boxes, Tensor scores, float iou_threshold, int offset);
Tensor softnms(Tensor boxes, Tensor scores, Tensor dets, float iou_threshold,
               float sigma, float min_score, int method, int offset);
std::vector<std::vector<int>> nms_match(Tensor dets, float iou_threshold);
void roi_align_forward(Tensor input, Tensor rois, Tensor output, Tensor argmax_y, Tensor argmax_x,
                       int aligned_height, int aligned_width, float spatial_scale,
                       int sampling_ratio, int pool_mode, bool aligned);
void roi_align_backward(Tensor grad_output, Tensor rois, Tensor argmax_y, Tensor argmax_x,
                        Tensor grad_input, int aligned_height, int aligned_width,
                        float spatial_scale, int sampling_ratio, int pool_mode, bool aligned);
'''


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise SystemExit(f'{path}: expected text not found (not the mmcv-full 1.7.2 sdist?): '
                         f'{old!r}')
    path.write_text(text.replace(old, new))


def patch_setup(root: Path) -> None:
    setup = root / 'setup.py'
    setup.write_text(setup.read_text().replace('-std=c++14', '-std=c++20')
                     .replace('-std=c++17', '-std=c++20'))
    _replace(setup,
             'from pkg_resources import DistributionNotFound, get_distribution, parse_version',
             'from importlib.metadata import PackageNotFoundError as DistributionNotFound\n'
             'from importlib.metadata import distribution as get_distribution\n'
             'from packaging.version import parse as parse_version')
    kept = ', '.join(f"'./mmcv/ops/csrc/{f}'" for f in KEPT_SOURCES)
    _replace(setup, "op_files = glob.glob('./mmcv/ops/csrc/pytorch/*.cpp') + \\\n"
             "                glob.glob('./mmcv/ops/csrc/pytorch/cpu/*.cpp')\n"
             "            extension = CppExtension",
             f'op_files = [{kept}]\n            extension = CppExtension')


def patch_pybind(root: Path) -> None:
    pybind = root / 'mmcv/ops/csrc/pytorch/pybind.cpp'
    body = pybind.read_text()
    body = body[body.index('PYBIND11_MODULE'):]
    defs = [m.group(0) for m in re.finditer(r'  m\.def\("(\w+)".*?;\n', body, flags=re.S)
            if m.group(1) in KEPT_FUNCTIONS]
    if len(defs) != len(KEPT_FUNCTIONS):
        raise SystemExit(f'{pybind}: found {len(defs)} of the {len(KEPT_FUNCTIONS)} kept ops')
    pybind.write_text(DECLARATIONS + 'PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {\n'
                      + ''.join(defs) + '}\n')


def patch_ext_loader(root: Path) -> None:
    _replace(root / 'mmcv/utils/ext_loader.py',
             "            assert hasattr(ext, fun), f'{fun} miss in module {name}'\n",
             '            pass  # trimmed build: an op that is not compiled fails when called\n')


if __name__ == '__main__':
    sdist = Path(sys.argv[1])
    patch_setup(sdist)
    patch_pybind(sdist)
    patch_ext_loader(sdist)
    print(f'{sdist}: patched for a C++20 CPU build of nms + roi_align')
