/*
 * CPU identification and virtualization features (x86_cpu, features.h),
 * printed by arch_cpu_features_init(), and the live CPUID the guest policy
 * asks (x86_cpuid_host, cpuid.h).
 *
 * Capability MSRs are read only when CPUID says they exist (a missing MSR
 * raises #GP): the VMX ones when CPUID.1:ECX.VMX is set, VM_CR when
 * CPUID.80000001h:ECX.SVM is set.
 */
#include <arch/boot.h>
#include <hv/log.h>
#include <hv/string.h>
#include <x86/asm.h>
#include <x86/cpuid.h>
#include <x86/features.h>
#include <x86/msr.h>

struct x86_features x86_cpu;

struct cpuid_regs x86_cpuid_host(u32 leaf, u32 subleaf)
{
	return cpuid_count(leaf, subleaf);
}

static void copy_regs_string(char *dst, const u32 *words, unsigned count)
{
	memcpy(dst, words, count * sizeof(u32));
	dst[count * sizeof(u32)] = '\0';
}

static void detect_identity(struct x86_features *f)
{
	struct cpuid_regs r = cpuid(CPUID_LEAF_VENDOR);
	u32 vendor[3] = { r.ebx, r.edx, r.ecx };
	u32 family, model;

	f->max_leaf = r.eax;
	copy_regs_string(f->vendor, vendor, 3);
	r = cpuid(CPUID_LEAF_FEATURES);
	/* SDM 2A, CPUID leaf 1 EAX: extended family/model apply to families 6 and 15. */
	family = (r.eax >> 8) & 0xf;
	model = (r.eax >> 4) & 0xf;
	if (family == 0xf)
		family += (r.eax >> 20) & 0xff;
	if (family == 0x6 || family >= 0xf)
		model |= ((r.eax >> 16) & 0xf) << 4;
	f->family = family;
	f->model = model;
	f->stepping = r.eax & 0xf;
	f->vmx = r.ecx & CPUID_1_ECX_VMX;
	f->hypervisor = r.ecx & CPUID_1_ECX_HV;
	f->pge = r.edx & CPUID_1_EDX_PGE;

	f->max_ext_leaf = cpuid(CPUID_LEAF_EXT_MAX).eax;
	if (f->max_ext_leaf >= CPUID_LEAF_EXT_FEAT) {
		r = cpuid(CPUID_LEAF_EXT_FEAT);
		f->svm = r.ecx & CPUID_EXT_ECX_SVM;
		f->nx = r.edx & CPUID_EXT_EDX_NX;
		f->page_1g = r.edx & CPUID_EXT_EDX_PAGE1GB;
	}
	if (f->max_ext_leaf >= CPUID_LEAF_BRAND0 + 2) {
		u32 words[12];

		for (u32 i = 0; i < 3; i++) {
			r = cpuid(CPUID_LEAF_BRAND0 + i);
			words[i * 4 + 0] = r.eax;
			words[i * 4 + 1] = r.ebx;
			words[i * 4 + 2] = r.ecx;
			words[i * 4 + 3] = r.edx;
		}
		copy_regs_string(f->brand, words, 12);
	}
	if (f->max_ext_leaf >= CPUID_LEAF_POWER)
		f->invariant_tsc = cpuid(CPUID_LEAF_POWER).edx & CPUID_POWER_EDX_INVARIANT_TSC;
	/* Without leaf 0x80000008, SDM 2A says 36 physical bits (32 without PAE). */
	f->phys_bits = 36;
	f->linear_bits = 48;
	if (f->max_ext_leaf >= CPUID_LEAF_ADDR_SIZES) {
		r = cpuid(CPUID_LEAF_ADDR_SIZES);
		f->phys_bits = (u8)(r.eax & CPUID_ADDR_PHYS_MASK);
		f->linear_bits = (u8)((r.eax >> CPUID_ADDR_LIN_SHIFT) & CPUID_ADDR_LIN_MASK);
	}
	if (f->hypervisor) {
		r = cpuid(CPUID_LEAF_HV_BASE);
		u32 hv[3] = { r.ebx, r.ecx, r.edx };

		copy_regs_string(f->hv_vendor, hv, 3);
	}
}

static void detect_vmx(struct x86_features *f)
{
	u64 fc, basic, proc, proc2 = 0, cap = 0;

	if (!f->vmx)
		return;
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	f->feature_control = fc;
	f->vmx_locked_off = (fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMX);
	basic = rdmsr(MSR_IA32_VMX_BASIC);
	f->vmcs_revision = (u32)(basic & VMX_BASIC_REVISION_MASK);
	proc = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS) >> VMX_CTLS_ALLOWED1_SHIFT;
	f->vmx_secondary = proc & VMX_PROC_SECONDARY_CTLS;
	if (f->vmx_secondary)
		proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) >> VMX_CTLS_ALLOWED1_SHIFT;
	f->ept = proc2 & VMX_PROC2_EPT;
	f->vpid = proc2 & VMX_PROC2_VPID;
	f->unrestricted_guest = proc2 & VMX_PROC2_UNRESTRICTED;
	/* SDM 3D A.10: the capability MSR exists when EPT or VPID may be enabled. */
	if (f->ept || f->vpid)
		cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	f->ept_4level = cap & VMX_EPT_CAP_PWL4;
	f->ept_5level = cap & VMX_EPT_CAP_PWL5;
	f->ept_2m = cap & VMX_EPT_CAP_2M;
	f->ept_1g = cap & VMX_EPT_CAP_1G;
	f->ept_ad = cap & VMX_EPT_CAP_AD;
	f->ept_wb = cap & VMX_EPT_CAP_WB;
}

static void detect_svm(struct x86_features *f)
{
	struct cpuid_regs r;
	u64 vm_cr;

	if (!f->svm)
		return;
	vm_cr = rdmsr(MSR_AMD_VM_CR);
	f->vm_cr = vm_cr;
	f->svm_disabled = vm_cr & VM_CR_SVMDIS;
	f->svm_locked = vm_cr & VM_CR_LOCK;
	if (f->max_ext_leaf < CPUID_LEAF_SVM)
		return;
	r = cpuid(CPUID_LEAF_SVM);
	f->svm_revision = r.eax & CPUID_SVM_REV_MASK;
	f->asid_count = r.ebx;
	f->npt = r.edx & CPUID_SVM_NPT;
	f->nrip_save = r.edx & CPUID_SVM_NRIPS;
	f->decode_assists = r.edx & CPUID_SVM_DECODE_ASSIST;
	f->flush_by_asid = r.edx & CPUID_SVM_FLUSH_ASID;
	f->vmcb_clean = r.edx & CPUID_SVM_VMCB_CLEAN;
	f->avic = r.edx & CPUID_SVM_AVIC;
	f->vgif = r.edx & CPUID_SVM_VGIF;
}

void x86_features_detect(void)
{
	memset(&x86_cpu, 0, sizeof(x86_cpu));
	detect_identity(&x86_cpu);
	detect_vmx(&x86_cpu);
	detect_svm(&x86_cpu);
}

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

void arch_cpu_features_init(void)
{
	const struct x86_features *f = &x86_cpu;
	const char *brand = f->brand;

	while (*brand == ' ')
		brand++;
	log_info("cpu: vendor %s, family %#x model %#x stepping %u, \"%s\"", f->vendor, f->family,
		 f->model, f->stepping, brand);
	log_info("cpu: MAXPHYADDR %u bits, linear %u bits; host pages 4K 2M%s; NX %s; invariant "
		 "TSC %s",
		 f->phys_bits, f->linear_bits, f->page_1g ? " 1G" : "", yes(f->nx),
		 yes(f->invariant_tsc));
	if (f->hypervisor)
		log_info("cpu: running under a hypervisor (\"%s\")", f->hv_vendor);

	if (f->vmx) {
		log_info("cpu: VMX yes (VMCS revision %#x); IA32_FEATURE_CONTROL 0x%llx: %s",
			 f->vmcs_revision, (unsigned long long)f->feature_control,
			 f->vmx_locked_off ? "locked with VMX off by the firmware"
			 : (f->feature_control & FEATURE_CONTROL_LOCK)
			     ? "locked, VMX allowed"
			     : "unlocked (we may enable VMX)");
		log_info("cpu: VMX EPT %s (4-level %s, 5-level %s, 2M %s, 1G %s, A/D %s, WB %s), "
			 "VPID %s, unrestricted guest %s",
			 yes(f->ept), yes(f->ept_4level), yes(f->ept_5level), yes(f->ept_2m),
			 yes(f->ept_1g), yes(f->ept_ad), yes(f->ept_wb), yes(f->vpid),
			 yes(f->unrestricted_guest));
	}
	if (f->svm) {
		log_info("cpu: SVM yes (revision %u, %u ASIDs); VM_CR 0x%llx: %s", f->svm_revision,
			 f->asid_count, (unsigned long long)f->vm_cr,
			 f->svm_disabled ? "SVM disabled by the firmware (SVMDIS)" : "SVM allowed");
		log_info("cpu: SVM NPT %s, NRIP save %s, decode assists %s, flush by ASID %s, VMCB "
			 "clean bits %s, AVIC %s, vGIF %s",
			 yes(f->npt), yes(f->nrip_save), yes(f->decode_assists),
			 yes(f->flush_by_asid), yes(f->vmcb_clean), yes(f->avic), yes(f->vgif));
	}
	if (!f->vmx && !f->svm)
		log_warn(
		    "cpu: no hardware virtualization (neither VMX nor SVM): guests cannot run");
	else if ((f->vmx && (f->vmx_locked_off || !f->ept || !f->unrestricted_guest)) ||
		 (f->svm && (f->svm_disabled || !f->npt)))
		log_warn("cpu: the virtualization support is not enough for this hypervisor "
			 "(it needs %s)",
			 f->vmx ? "VMX enabled, EPT and unrestricted guest"
				: "SVM enabled and NPT");
}
