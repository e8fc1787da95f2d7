#!/usr/bin/python3
"""Train, evaluate and export the project's default segmenter (neurncd-synth-seg).

The model sees only the 9 known classes (bed, book, chair, floor, furniture, objects, sofa,
table, wall). Novel-class pixels (ceiling, picture, tv, window) and void are ignored in the loss:
they are never a label. See tools/segmenter/README.md for how to re-run it.

  /usr/bin/python3 tools/segmenter/train.py train  --data /tmp/seg/data --seeds 1001-1040 --minutes 35 --out /tmp/seg/run
  /usr/bin/python3 tools/segmenter/train.py eval   --data /tmp/seg/data --seeds 2001-2004 --ckpt /tmp/seg/run/model.pt --results tools/segmenter/results.json
  /usr/bin/python3 tools/segmenter/train.py export --ckpt /tmp/seg/run/model.pt --out public/models/neurncd-synth-seg --train-seeds 1001-1040

Needs Debian's python3-torch, python3-onnx, python3-numpy, python3-pil (no pip).
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

# NYU13 ids of the known classes, in the model's output channel order.
KNOWN = [(1, 'bed'), (2, 'book'), (4, 'chair'), (5, 'floor'), (6, 'furniture'),
         (7, 'objects'), (9, 'sofa'), (10, 'table'), (12, 'wall')]
NOVEL = [(3, 'ceiling'), (8, 'picture'), (11, 'tv'), (13, 'window')]
K = len(KNOWN)
IGNORE = 255
WIDTH, HEIGHT = 320, 240
# Normalisation of 0..1 sRGB input (ImageNet statistics; written to the manifest).
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]

# Lookup table: NYU13 id -> training index (0..8), everything else (void, novel) -> IGNORE.
LUT = np.full(256, IGNORE, np.uint8)
for i, (cid, _) in enumerate(KNOWN):
    LUT[cid] = i


def parse_seeds(text):
    seeds = []
    for part in text.split(','):
        if '-' in part:
            a, b = part.split('-')
            seeds.extend(range(int(a), int(b) + 1))
        elif part:
            seeds.append(int(part))
    return seeds


def load_scenes(root, seeds):
    """All frames of the given seeds: uint8 RGB [N,H,W,3] and raw NYU13 ids [N,H,W]."""
    rgbs, labels = [], []
    for seed in seeds:
        d = os.path.join(root, f's{seed}')
        names = sorted(os.listdir(os.path.join(d, 'rgb')), key=lambda n: int(n[4:-4]))
        for n in names:
            idx = n[4:-4]
            rgb = np.array(Image.open(os.path.join(d, 'rgb', n)).convert('RGB'))
            lab = np.array(Image.open(os.path.join(d, 'semantic_class', f'semantic_class_{idx}.png')))
            assert rgb.shape == (HEIGHT, WIDTH, 3) and lab.shape == (HEIGHT, WIDTH), (d, n)
            rgbs.append(rgb)
            labels.append(lab)
    return np.stack(rgbs), np.stack(labels)


# ---------------------------------------------------------------- model

def cbr(cin, cout, k=3, stride=1, dilation=1):
    pad = dilation * (k // 2)
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, pad, dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Res(nn.Module):
    def __init__(self, c, dilation=1):
        super().__init__()
        self.a = cbr(c, c, 3, 1, dilation)
        self.b = nn.Sequential(nn.Conv2d(c, c, 3, 1, dilation, dilation, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return F.relu(x + self.b(self.a(x)))


class SynthSeg(nn.Module):
    """Compact encoder-decoder: 1/16 encoder with dilated residual context blocks and a global
    pooling branch, a 1/4 skip, 1/4-resolution logits upsampled bilinearly inside the graph."""

    def __init__(self, k=K):
        super().__init__()
        self.stem = nn.Sequential(cbr(3, 24, 3, 2), cbr(24, 32, 3, 2), cbr(32, 32))   # 1/4
        self.down8 = nn.Sequential(cbr(32, 64, 3, 2), Res(64))                         # 1/8
        self.down16 = nn.Sequential(cbr(64, 96, 3, 2), Res(96, 1), Res(96, 2), Res(96, 4))  # 1/16
        self.pool = nn.Sequential(nn.Conv2d(96, 48, 1, bias=False), nn.ReLU(inplace=True))
        self.ctx = cbr(96, 48, 1)
        self.skip = cbr(32, 32, 1)
        self.dec = nn.Sequential(cbr(48 + 48 + 32, 48), cbr(48, 48))
        self.head = nn.Conv2d(48, k, 1)

    def forward(self, x):
        h, w = x.shape[-2:]
        s4 = self.stem(x)
        s16 = self.down16(self.down8(s4))
        c = self.ctx(s16)
        g = self.pool(s16.mean(dim=(2, 3), keepdim=True))
        c = F.interpolate(c, size=s4.shape[-2:], mode='bilinear', align_corners=False)
        g = g.expand(-1, -1, s4.shape[-2], s4.shape[-1])
        y = self.dec(torch.cat([c, g, self.skip(s4)], 1))
        logits = F.interpolate(self.head(y), size=(h, w), mode='bilinear', align_corners=False)
        return (logits, y) if self.with_features else logits

    # The exported graph also outputs the decoder's 48-channel map at 1/4 resolution (the manifest's
    # featureOutput): what the last layer sees, which tells apart things it maps to the same classes.
    with_features = False


# ---------------------------------------------------------------- training

def augment(rgb_u8, lab, crop_h, crop_w, gen):
    """rgb_u8 [B,H,W,3] uint8, lab [B,H,W] training indices -> normalised [B,3,h,w], labels [B,h,w]."""
    b = rgb_u8.shape[0]
    x = torch.from_numpy(rgb_u8).permute(0, 3, 1, 2).float() / 255.0
    y = torch.from_numpy(lab).long()
    # One random scale per batch, then an independent random crop per sample.
    s = float(torch.empty(1).uniform_(0.75, 1.35, generator=gen))
    hh, ww = max(crop_h, round(HEIGHT * s)), max(crop_w, round(WIDTH * s))
    x = F.interpolate(x, size=(hh, ww), mode='bilinear', align_corners=False)
    y = F.interpolate(y[:, None].float(), size=(hh, ww), mode='nearest')[:, 0].long()
    xs, ys = [], []
    for i in range(b):
        t = int(torch.randint(0, hh - crop_h + 1, (1,), generator=gen))
        l = int(torch.randint(0, ww - crop_w + 1, (1,), generator=gen))
        xi, yi = x[i, :, t:t + crop_h, l:l + crop_w], y[i, t:t + crop_h, l:l + crop_w]
        if torch.rand(1, generator=gen) < 0.5:
            xi, yi = xi.flip(-1), yi.flip(-1)
        xs.append(xi)
        ys.append(yi)
    x, y = torch.stack(xs), torch.stack(ys)
    # Colour jitter: brightness, contrast, saturation, per-channel gain, gamma, noise.
    r = lambda lo, hi: torch.empty(b, 1, 1, 1).uniform_(lo, hi, generator=gen)
    x = x * r(0.7, 1.3)
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - m) * r(0.7, 1.3) + m
    gray = x.mean(dim=1, keepdim=True)
    x = (x - gray) * r(0.6, 1.4) + gray
    x = x * torch.empty(b, 3, 1, 1).uniform_(0.9, 1.1, generator=gen)
    x = x.clamp(0, 1) ** r(0.8, 1.25)
    x = x + torch.randn(x.shape, generator=gen) * 0.01
    x = x.clamp(0, 1)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std, y


def normalise(rgb_u8):
    x = torch.from_numpy(rgb_u8).permute(0, 3, 1, 2).float() / 255.0
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def cmd_train(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    seeds = parse_seeds(a.seeds)
    assert not set(seeds) & set(parse_seeds(a.forbid)), 'training on reserved/held-out seeds'
    t0 = time.time()
    rgb, raw = load_scenes(a.data, seeds)
    lab = LUT[raw]
    n = len(rgb)
    print(f'loaded {n} frames from {len(seeds)} seeds in {time.time() - t0:.1f} s', flush=True)
    counts = np.bincount(lab[lab != IGNORE].ravel(), minlength=K).astype(np.float64)
    freq = counts / counts.sum()
    # Mild class balancing: weight ~ freq^-0.3, normalised to mean 1.
    w = freq ** -0.3
    w = w / (w * freq).sum()
    print('class freq', np.round(freq, 4).tolist(), 'weights', np.round(w, 3).tolist(), flush=True)
    model = SynthSeg()
    print('parameters', sum(p.numel() for p in model.parameters()), flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    crit = nn.CrossEntropyLoss(weight=torch.tensor(w, dtype=torch.float32), ignore_index=IGNORE,
                               label_smoothing=a.smoothing)
    os.makedirs(a.out, exist_ok=True)
    budget = a.minutes * 60.0
    start = time.time()
    step, last_save, ema = 0, start, None
    model.train()
    while True:
        frac = (time.time() - start) / budget
        if frac >= 1.0:
            break
        # Linear warm-up over the first 3%, then cosine decay over wall-clock time.
        lr = a.lr * min(1.0, frac / 0.03) * 0.5 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g['lr'] = lr
        idx = torch.randint(0, n, (a.batch,), generator=gen).numpy()
        x, y = augment(rgb[idx], lab[idx], a.crop_h, a.crop_w, gen)
        loss = crit(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 50 == 0:
            el = time.time() - start
            print(f'step {step} {el:.0f}s lr {lr:.2e} loss {ema:.4f} ({step * a.batch / el:.1f} img/s)', flush=True)
        if time.time() - last_save > 300:
            torch.save({'model': model.state_dict(), 'step': step}, os.path.join(a.out, 'model.pt'))
            last_save = time.time()
    meta = {'step': step, 'minutes': (time.time() - start) / 60, 'seeds': a.seeds,
            'frames': n, 'batch': a.batch, 'crop': [a.crop_h, a.crop_w], 'lr': a.lr,
            'label_smoothing': a.smoothing, 'class_weights': w.tolist()}
    torch.save({'model': model.state_dict(), 'step': step, 'meta': meta}, os.path.join(a.out, 'model.pt'))
    print('done', json.dumps(meta), flush=True)


# ---------------------------------------------------------------- evaluation

def load_model(path):
    model = SynthSeg()
    ck = torch.load(path, map_location='cpu')
    model.load_state_dict(ck['model'])
    model.eval()
    return model, ck


@torch.no_grad()
def cmd_eval(a):
    torch.set_num_threads(a.threads)
    model, ck = load_model(a.ckpt)
    seeds = parse_seeds(a.seeds)
    rgb, raw = load_scenes(a.data, seeds)
    conf = np.zeros((K, K), np.int64)
    ent_sum = np.zeros(256)
    ent_cnt = np.zeros(256)
    pred_by_id = np.zeros((256, K), np.int64)
    t0 = time.time()
    for i in range(0, len(rgb), 8):
        logits = model(normalise(rgb[i:i + 8]))
        logp = F.log_softmax(logits, 1)
        ent = -(logp.exp() * logp).sum(1).numpy()
        pred = logits.argmax(1).numpy()
        r = raw[i:i + 8]
        gt = LUT[r]
        m = gt != IGNORE
        conf += np.bincount(gt[m].astype(np.int64) * K + pred[m], minlength=K * K).reshape(K, K)
        ent_sum += np.bincount(r.ravel(), weights=ent.ravel(), minlength=256)
        ent_cnt += np.bincount(r.ravel(), minlength=256)
        pred_by_id += np.bincount(r.ravel().astype(np.int64) * K + pred.ravel(), minlength=256 * K).reshape(256, K)
    sec = time.time() - t0
    tp = np.diag(conf)
    iou = tp / (conf.sum(0) + conf.sum(1) - tp)
    known_ids = [c for c, _ in KNOWN]
    novel_ids = [c for c, _ in NOVEL]
    mean_ent = lambda ids: float(ent_sum[ids].sum() / max(1, ent_cnt[ids].sum()))
    res = {
        'model': 'neurncd-synth-seg',
        'heldOutSeeds': a.seeds,
        'frames': int(len(rgb)),
        'resolution': [WIDTH, HEIGHT],
        'trainingSteps': int(ck.get('step', 0)),
        'training': ck.get('meta'),
        'knownMIoU': float(iou.mean() * 100),
        'knownPixelAccuracy': float(tp.sum() / conf.sum() * 100),
        'perClassIoU': {name: float(iou[i] * 100) for i, (_, name) in enumerate(KNOWN)},
        'entropy': {
            'unit': 'nats, softmax over 9 known classes (max ln 9 = %.4f)' % math.log(K),
            'knownPixels': mean_ent(known_ids),
            'novelPixels': mean_ent(novel_ids),
            'perKnownClass': {name: mean_ent([c]) for c, name in KNOWN},
            'perNovelClass': {name: mean_ent([c]) for c, name in NOVEL},
        },
        # Fraction of each novel class's pixels given each known class by argmax (for the record).
        'novelPredictedAs': {name: {kn: round(float(pred_by_id[c, j] / max(1, pred_by_id[c].sum())), 4)
                                    for j, (_, kn) in enumerate(KNOWN)} for c, name in NOVEL},
        'torchCpuSecondsPerFrame': sec / len(rgb),
    }
    print(json.dumps(res, indent=2))
    if a.results:
        with open(a.results, 'w') as f:
            json.dump(res, f, indent=2)
            f.write('\n')


# ---------------------------------------------------------------- export

@torch.no_grad()
def cmd_export(a):
    import onnx
    torch.set_num_threads(a.threads)
    model, ck = load_model(a.ckpt)
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, 'model.onnx')
    dummy = torch.zeros(1, 3, HEIGHT, WIDTH)
    model.with_features = True
    torch.onnx.export(model, dummy, path, input_names=['input'], output_names=['logits', 'features'],
                      opset_version=13, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    print('ops', sorted({n.op_type for n in m.graph.node}))
    data = open(path, 'rb').read()
    manifest = {
        'name': 'neurncd-synth-seg',
        'file': 'model.onnx',
        'inputName': 'input',
        'layout': 'NCHW',
        'inputSize': {'width': WIDTH, 'height': HEIGHT},
        'normalization': {'mean': MEAN, 'std': STD, 'range': '0..1'},
        'logitsOutput': 'logits',
        'featureOutput': 'features',
        'classes': [{'name': name, 'id': cid} for cid, name in KNOWN],
        'knownClasses': [name for _, name in KNOWN],
        'license': 'Apache-2.0',
        'sourceUrl': 'trained by tools/segmenter/train.py on generated scenes (preset bench), seeds '
                     + a.train_seeds + '; evaluated on held-out seeds ' + a.eval_seeds,
        'sha256': hashlib.sha256(data).hexdigest(),
        'sizeBytes': len(data),
    }
    with open(os.path.join(a.out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    print(json.dumps(manifest, indent=2))
    # Reference tensors for tools/segmenter/verify-onnx.mjs (written outside the repository).
    if a.data and a.ref:
        rgb, _ = load_scenes(a.data, parse_seeds(a.ref_seeds))
        pick = rgb[::max(1, len(rgb) // 3)][:3]
        x = normalise(pick)
        y, _ = model(x)
        os.makedirs(a.ref, exist_ok=True)
        x.numpy().astype('<f4').tofile(os.path.join(a.ref, 'input.f32'))
        y.numpy().astype('<f4').tofile(os.path.join(a.ref, 'logits.f32'))
        print('wrote reference', x.shape, y.shape, 'to', a.ref)


# ---------------------------------------------------------------- feature statistics

@torch.no_grad()
def cmd_feature_stats(a):
    """What the decoder's features of each known class look like on the training scenes, for the
    manifest's featureStatistics: per class a mean, one shared (tied) covariance as its inverse,
    and the 95th percentile of the class's own Mahalanobis distances (its spread). A segment whose
    features lie far beyond its class's spread is something the segmenter never saw (Lee et al.,
    NeurIPS 2018). Statistics are of 16x16-pixel patches (4x4 cells of the 1/4-resolution map)
    that are at least 90% one class, because discovery compares segment means, not pixels."""
    torch.set_num_threads(a.threads)
    model, _ = load_model(a.ckpt)
    model.with_features = True
    cell = 4
    xs, ys = [], []
    for seed in parse_seeds(a.seeds):
        rgb, raw = load_scenes(a.data, [seed])
        for i in range(0, len(rgb), 20):
            _, y = model(normalise(rgb[i:i + 20]))
            feats = F.avg_pool2d(y, cell).permute(0, 2, 3, 1).reshape(-1, y.shape[1]).numpy()
            lab = torch.from_numpy(LUT[raw[i:i + 20]].astype(np.int64))
            onehot = F.one_hot(lab.clamp(max=K), K + 1).permute(0, 3, 1, 2).float()
            share = F.avg_pool2d(onehot, 4 * cell).permute(0, 2, 3, 1).reshape(-1, K + 1).numpy()
            pure = (share[:, :K].max(1) >= 0.9)
            xs.append(feats[pure])
            ys.append(share[pure, :K].argmax(1))
    x = np.concatenate(xs).astype(np.float64)
    y = np.concatenate(ys)
    d = x.shape[1]
    mean = np.stack([x[y == c].mean(0) for c in range(K)])
    r = x - mean[y]
    cov = r.T @ r / len(x)
    # A little shrinkage: some channels are near constant after the last ReLU.
    precision = np.linalg.inv(cov + 1e-3 * np.trace(cov) / d * np.eye(d))
    precision = (precision + precision.T) / 2
    dist = np.sqrt(np.einsum('nd,de,ne->n', r, precision, r))
    spread = [float(np.percentile(dist[y == c], 95)) for c in range(K)]
    print(f'{len(x)} patches;', ', '.join(f'{name} {n} (spread {s:.2f})' for (_, name), n, s in zip(KNOWN, np.bincount(y, minlength=K), spread)))
    sig = lambda v: float(f'{v:.6g}')
    stats = {
        'about': 'decoder features (featureOutput) of 16x16-pixel single-class patches of seeds ' + a.seeds
                 + ': per class mean, shared inverse covariance, 95th percentile of each class\'s Mahalanobis distances',
        'mean': [[sig(v) for v in row] for row in mean],
        'precision': [[sig(v) for v in row] for row in precision],
        'spread': [sig(v) for v in spread],
    }
    with open(a.manifest) as f:
        manifest = json.load(f)
    manifest.pop('featureStatistics', None)
    # One line per matrix row, not per number: the manifest stays readable.
    rows = lambda m: '[\n' + ',\n'.join('      ' + json.dumps(r) for r in m) + '\n    ]'
    block = ('  "featureStatistics": {\n    "about": ' + json.dumps(stats['about']) + ',\n    "mean": ' + rows(stats['mean'])
             + ',\n    "precision": ' + rows(stats['precision']) + ',\n    "spread": ' + json.dumps(stats['spread']) + '\n  }')
    text = json.dumps(manifest, indent=2)
    with open(a.manifest, 'w') as f:
        f.write(text[:-2] + ',\n' + block + '\n}\n')
    print('wrote featureStatistics to', a.manifest)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='cmd', required=True)
    t = sub.add_parser('train')
    t.add_argument('--data', required=True)
    t.add_argument('--seeds', default='1001-1040')
    t.add_argument('--forbid', default='1,2001-2004,3001-3100', help='seeds never to train on')
    t.add_argument('--out', required=True)
    t.add_argument('--minutes', type=float, default=35)
    t.add_argument('--batch', type=int, default=8)
    t.add_argument('--crop-h', type=int, default=192)
    t.add_argument('--crop-w', type=int, default=256)
    t.add_argument('--lr', type=float, default=3e-3)
    t.add_argument('--smoothing', type=float, default=0.05)
    t.add_argument('--seed', type=int, default=0)
    t.add_argument('--threads', type=int, default=2)
    e = sub.add_parser('eval')
    e.add_argument('--data', required=True)
    e.add_argument('--seeds', default='2001-2004')
    e.add_argument('--ckpt', required=True)
    e.add_argument('--results')
    e.add_argument('--threads', type=int, default=2)
    x = sub.add_parser('export')
    x.add_argument('--ckpt', required=True)
    x.add_argument('--out', required=True)
    x.add_argument('--train-seeds', default='1001-1040')
    x.add_argument('--eval-seeds', default='2001-2004')
    x.add_argument('--data')
    x.add_argument('--ref', help='directory for reference input/logits (outside the repo)')
    x.add_argument('--ref-seeds', default='2001')
    x.add_argument('--threads', type=int, default=2)
    f = sub.add_parser('feature-stats')
    f.add_argument('--data', required=True)
    f.add_argument('--seeds', default='1001-1040')
    f.add_argument('--ckpt', required=True)
    f.add_argument('--manifest', required=True)
    f.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    {'train': cmd_train, 'eval': cmd_eval, 'export': cmd_export, 'feature-stats': cmd_feature_stats}[a.cmd](a)


if __name__ == '__main__':
    main()
