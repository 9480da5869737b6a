/* pool_body.h: the float32 MaxPool2D and AveragePool2D kernels on one level's vectors (included once by each
 * f32_<level>.c; no include guard): tl_max_pool_run and tl_avg_pool_run, written on that file's tl_vf
 * (opt_f32_internal.h). Algorithm: pool_opt.c. Not the entry points. */

/* A window outside the input gives 0, then the activation. */
static inline void tl_pool_empty(float *yp, int64_t ch, tl_act_f32 act) {
  const float z = 0.0f < act.min ? act.min : (0.0f > act.max ? act.max : 0.0f);
  for (int64_t c = 0; c < ch; c++) yp[c] = z;
}

TL_VF_FN static void tl_max_pool_run(float *y, const float *x, const tl_pool_params *p) {
  const int64_t ch = p->channels;
  const int64_t x_row = (int64_t)p->in_w * ch;
  const int64_t vec_end = (ch / TL_VF_W) * TL_VF_W;
  const tl_vf lo = tl_vf_set1(p->act.min), hi = tl_vf_set1(p->act.max);
  for (int32_t b = 0; b < p->batch; b++) {
    const float *xb = x + (int64_t)b * p->in_h * x_row;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
      int32_t y0, y1;
      tl_geo_clip(tl_geo_start(oy, p->stride_h, p->pad_top), p->filter_h, p->in_h, &y0, &y1);
      for (int32_t ox = 0; ox < p->out_w; ox++) {
        int32_t x0, x1;
        tl_geo_clip(tl_geo_start(ox, p->stride_w, p->pad_left), p->filter_w, p->in_w, &x0, &x1);
        float *yp = y + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * ch;
        if (y0 >= y1 || x0 >= x1) {
          tl_pool_empty(yp, ch, p->act);
          continue;
        }
        const float *first = xb + (int64_t)y0 * x_row + (int64_t)x0 * ch;
        int64_t c = 0;
        for (; c < vec_end; c += TL_VF_W) {
          tl_vf acc = tl_vf_load(first + c);
          for (int32_t iy = y0; iy < y1; iy++) {
            const float *xr = xb + (int64_t)iy * x_row + (int64_t)x0 * ch + c;
            for (int32_t ix = x0; ix < x1; ix++, xr += ch) acc = tl_vf_nanmax(acc, tl_vf_load(xr));
          }
          tl_vf_store(yp + c, tl_vf_min(hi, tl_vf_max(lo, acc)));
        }
        for (; c < ch; c++) {
          float acc = first[c];
          for (int32_t iy = y0; iy < y1; iy++) {
            const float *xr = xb + (int64_t)iy * x_row + (int64_t)x0 * ch + c;
            for (int32_t ix = x0; ix < x1; ix++, xr += ch) {
              if (*xr > acc || *xr != *xr) acc = *xr;
            }
          }
          yp[c] = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc);
        }
      }
    }
  }
}

TL_VF_FN static void tl_avg_pool_run(float *y, const float *x, const tl_pool_params *p) {
  const int64_t ch = p->channels;
  const int64_t x_row = (int64_t)p->in_w * ch;
  const tl_vf lo = tl_vf_set1(p->act.min), hi = tl_vf_set1(p->act.max);
  for (int32_t b = 0; b < p->batch; b++) {
    const float *xb = x + (int64_t)b * p->in_h * x_row;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
      int32_t y0, y1;
      tl_geo_clip(tl_geo_start(oy, p->stride_h, p->pad_top), p->filter_h, p->in_h, &y0, &y1);
      for (int32_t ox = 0; ox < p->out_w; ox++) {
        int32_t x0, x1;
        tl_geo_clip(tl_geo_start(ox, p->stride_w, p->pad_left), p->filter_w, p->in_w, &x0, &x1);
        float *yp = y + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * ch;
        if (y0 >= y1 || x0 >= x1) {
          tl_pool_empty(yp, ch, p->act);
          continue;
        }
        const float count = (float)((y1 - y0) * (x1 - x0));
        const tl_vf count_v = tl_vf_set1(count);
        const float *first = xb + (int64_t)y0 * x_row + (int64_t)x0 * ch;
        int64_t c = 0;
        for (; c + 2 * TL_VF_W <= ch; c += 2 * TL_VF_W) { /* two blocks: two independent chains */
          tl_vf acc0 = tl_vf_set1(0.0f), acc1 = tl_vf_set1(0.0f);
          for (int32_t iy = y0; iy < y1; iy++) {
            const float *xr = first + (int64_t)(iy - y0) * x_row + c;
            for (int32_t ix = x0; ix < x1; ix++, xr += ch) {
              acc0 = tl_vf_add(acc0, tl_vf_load(xr));
              acc1 = tl_vf_add(acc1, tl_vf_load(xr + TL_VF_W));
            }
          }
          tl_vf_store(yp + c, tl_vf_min(hi, tl_vf_max(lo, tl_vf_div(acc0, count_v))));
          tl_vf_store(yp + c + TL_VF_W, tl_vf_min(hi, tl_vf_max(lo, tl_vf_div(acc1, count_v))));
        }
        for (; c + TL_VF_W <= ch; c += TL_VF_W) {
          tl_vf acc = tl_vf_set1(0.0f);
          for (int32_t iy = y0; iy < y1; iy++) {
            const float *xr = first + (int64_t)(iy - y0) * x_row + c;
            for (int32_t ix = x0; ix < x1; ix++, xr += ch) acc = tl_vf_add(acc, tl_vf_load(xr));
          }
          tl_vf_store(yp + c, tl_vf_min(hi, tl_vf_max(lo, tl_vf_div(acc, count_v))));
        }
        for (; c < ch; c++) {
          float acc = 0.0f;
          for (int32_t iy = y0; iy < y1; iy++) {
            const float *xr = first + (int64_t)(iy - y0) * x_row + c;
            for (int32_t ix = x0; ix < x1; ix++, xr += ch) acc += *xr;
          }
          acc /= count;
          yp[c] = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc);
        }
      }
    }
  }
}
