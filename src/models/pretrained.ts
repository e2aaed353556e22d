// The zoo's builders as `torch.models` exports them: each model file's builder given torchvision's
// `weights` option (./weights/index.ts, withWeights). A model with pretrained weights joins with one
// line here and one catalog row (tools/reference/weights_catalog.py); one without needs only the line,
// and then `weights` is an error naming the models that have them.
import { convnextTiny as convnextTiny_ } from './convnext.js';
import * as E from './efficientnet.js';
import { mobilenetV2 as mobilenetV2_ } from './mobilenetv2.js';
import { mobilenetV3Large as mobilenetV3Large_, mobilenetV3Small as mobilenetV3Small_ } from './mobilenetv3.js';
import * as R from './resnet.js';
import { SmallCNN } from './smallcnn.js';
import { withWeights } from './weights/index.js';

export const resnet18 = withWeights('resnet18', R.resnet18);
export const resnet34 = withWeights('resnet34', R.resnet34);
export const resnet50 = withWeights('resnet50', R.resnet50);
export const resnet101 = withWeights('resnet101', R.resnet101);
export const resnet152 = withWeights('resnet152', R.resnet152);
export const resnext50_32x4d = withWeights('resnext50_32x4d', R.resnext50_32x4d);
export const mobilenetV2 = withWeights('mobilenet_v2', mobilenetV2_);
export const mobilenetV3Small = withWeights('mobilenet_v3_small', mobilenetV3Small_);
export const mobilenetV3Large = withWeights('mobilenet_v3_large', mobilenetV3Large_);
export const efficientnetB0 = withWeights('efficientnet_b0', E.efficientnetB0);
export const efficientnetB1 = withWeights('efficientnet_b1', E.efficientnetB1);
export const efficientnetB2 = withWeights('efficientnet_b2', E.efficientnetB2);
export const efficientnetB3 = withWeights('efficientnet_b3', E.efficientnetB3);
export const convnextTiny = withWeights('convnext_tiny', convnextTiny_);
export const smallcnn = withWeights('smallcnn', (opts: { numClasses?: number } = {}) => new SmallCNN(opts));
